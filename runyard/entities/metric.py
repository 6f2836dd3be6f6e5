"""Metric, param and tag records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple


class Metric(NamedTuple):
    """One point of a metric's history.

    A NamedTuple rather than a dataclass: histories of a million points are built from database
    rows, and tuple construction is several times cheaper than a frozen dataclass ``__init__``.
    """

    key: str
    value: float
    timestamp: int
    step: int = 0
    run_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None
    model_id: str | None = None

    def to_dictionary(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "timestamp": self.timestamp, "step": self.step}


@dataclass(frozen=True, slots=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class RunTag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class ExperimentTag:
    key: str
    value: str
