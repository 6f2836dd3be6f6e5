"""``runyard.scoring``: the model scoring server behind ``runyard models serve``
(MLflow's scoring protocol: ``/ping``, ``/health``, ``/version``, ``/invocations``)."""

from __future__ import annotations

from runyard.scoring.app import ScoringSettings, create_scoring_app

__all__ = ["ScoringSettings", "create_scoring_app"]
