"""What the web UI reads besides runs: key lists, run counts, grouped aggregates and downsampled
metric series, with the limits every store and route applies to their requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runyard.entities.metric import Metric
from runyard.errors import InvalidParameterValue

KEY_KINDS = ("metrics", "params", "tags")
RUN_KEYS_DEFAULT = 200
RUN_KEYS_LIMIT = 10_000
MAX_PREFIX_LENGTH = 250
MAX_EXPERIMENT_IDS = 100
MAX_GROUPS = 1000
MAX_GROUP_METRICS = 50
X_AXES = ("step", "timestamp")
BUCKETS_DEFAULT = 1000
BUCKETS_LIMIT = 5000


@dataclass(frozen=True, slots=True)
class RunKeys:
    """Distinct metric, param or tag keys of some experiments' runs, sorted; ``truncated`` when
    more keys matched than were asked for."""

    keys: tuple[str, ...]
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class MetricSummary:
    """Mean, min and max of one metric's latest values over a group of runs (NaN left out);
    ``count`` is the number of runs with a value. All None when no run of the group has one."""

    count: int
    mean: float | None
    min: float | None
    max: float | None


@dataclass(frozen=True, slots=True)
class RunGroup:
    """Runs sharing one value of a param, tag or attribute (None: runs without it)."""

    value: str | None
    count: int
    metrics: dict[str, MetricSummary] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunGroups:
    """Groups sorted by value (the None group last); ``truncated`` when there were more than
    ``MAX_GROUPS``."""

    groups: tuple[RunGroup, ...]
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class DownsampledSeries:
    """Points of one metric series ordered by the x axis. ``total_points`` counts the points in
    the requested window; ``downsampled`` says whether ``points`` is a selection of them."""

    points: tuple[Metric, ...]
    total_points: int
    downsampled: bool


def _bad(parameter: str, value: Any, rule: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Invalid value {value!r} for parameter '{parameter}' supplied: {rule}")


def check_experiment_ids(experiment_ids: Any) -> list[str]:
    """Experiment ids as strings: at least one, at most ``MAX_EXPERIMENT_IDS``."""
    if isinstance(experiment_ids, (str, int)):
        experiment_ids = [experiment_ids]
    ids = [str(e) for e in experiment_ids or ()]
    if not ids:
        raise InvalidParameterValue("Missing value for required parameter 'experiment_ids'.")
    if len(ids) > MAX_EXPERIMENT_IDS:
        raise InvalidParameterValue(
            f"Parameter 'experiment_ids' has {len(ids)} values; at most {MAX_EXPERIMENT_IDS} are allowed")
    return ids


def check_int(value: Any, parameter: str, low: int, high: int) -> int:
    """An int between ``low`` and ``high`` (bools refused)."""
    if type(value) is not int or not low <= value <= high:
        raise _bad(parameter, value, f"it must be an integer between {low} and {high}")
    return value


def check_choice(value: Any, parameter: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise _bad(parameter, value, f"it must be one of {', '.join(choices)}")
    return value


def check_prefix(prefix: Any) -> str:
    if prefix is None:
        return ""
    if not isinstance(prefix, str) or len(prefix) > MAX_PREFIX_LENGTH:
        raise _bad("prefix", prefix, f"it must be a string of at most {MAX_PREFIX_LENGTH} characters")
    return prefix


def check_metric_keys(keys: Any) -> list[str]:
    """The metrics a grouping aggregates: distinct strings, at most ``MAX_GROUP_METRICS``."""
    if keys is None:
        return []
    if isinstance(keys, str) or not all(isinstance(k, str) and k for k in keys):
        raise _bad("metrics", keys, "it must be a list of metric keys")
    unique = list(dict.fromkeys(keys))
    if len(unique) > MAX_GROUP_METRICS:
        raise InvalidParameterValue(
            f"Parameter 'metrics' has {len(unique)} keys; at most {MAX_GROUP_METRICS} are allowed")
    return unique


def check_x_window(min_x: Any, max_x: Any) -> tuple[int | None, int | None]:
    """Optional inclusive bounds of the x axis; ``min_x`` may not exceed ``max_x``."""
    for name, value in (("min_x", min_x), ("max_x", max_x)):
        if value is not None and (type(value) is not int or not -(2 ** 63) <= value < 2 ** 63):
            raise _bad(name, value, "it must be a 64-bit integer")
    if min_x is not None and max_x is not None and min_x > max_x:
        raise InvalidParameterValue(f"Parameter 'min_x' ({min_x}) must not exceed 'max_x' ({max_x})")
    return min_x, max_x
