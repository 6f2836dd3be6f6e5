"""``runyard.evaluate``: MLflow 3 deprecated the top-level ``evaluate`` in favour of
``models.evaluate`` (classic models); it still works, with a FutureWarning."""

from __future__ import annotations

import warnings
from typing import Any

from runyard.evaluation.api import evaluate as _evaluate
from runyard.evaluation.artifacts import EvaluationResult


def evaluate(*args: Any, **kwargs: Any) -> EvaluationResult:
    """Deprecated: use ``runyard.models.evaluate`` (same arguments)."""
    warnings.warn("runyard.evaluate is deprecated since MLflow 3.0.0; use runyard.models.evaluate for classic "
                  "models (same arguments)", FutureWarning, stacklevel=2)
    return _evaluate(*args, **kwargs)
