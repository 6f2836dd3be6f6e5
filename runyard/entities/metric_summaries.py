"""Per-run metric summaries (last, min, max, mean and count of each metric's history) and the
limits of the bulk reads the web UI's run, compare and charts pages make."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runyard.entities.run_views import DownsampledSeries
from runyard.errors import InvalidParameterValue

MAX_SUMMARY_RUNS = 500
MAX_SUMMARY_KEYS = 200
MAX_BULK_SERIES_RUNS = 200
_MAX_RUN_ID_LENGTH = 256
_MAX_KEY_LENGTH = 250


@dataclass(frozen=True, slots=True)
class RunMetricSummary:
    """One metric of one run over its whole history.

    ``last``/``last_step`` are the latest point (highest step, then timestamp, then value: the
    value search and the runs table show). NaN points count in ``count`` but never in ``min``,
    ``max`` or ``mean``, which are None when every point is NaN. ``min_step``/``max_step`` are the
    first step at which the extreme was reached.
    """

    run_id: str
    key: str
    last: float
    last_step: int
    min: float | None
    min_step: int | None
    max: float | None
    max_step: int | None
    mean: float | None
    count: int


@dataclass(frozen=True, slots=True)
class RunSeries:
    """A downsampled series of one run, in a bulk answer."""

    run_id: str
    series: DownsampledSeries


def check_run_ids(run_ids: Any, limit: int) -> list[str]:
    """Distinct run ids in their first order: at least one, at most ``limit``."""
    if run_ids is None or (isinstance(run_ids, list) and not run_ids):
        raise InvalidParameterValue("Missing value for required parameter 'run_ids' (a list of run ids).")
    if not isinstance(run_ids, (list, tuple)):
        raise InvalidParameterValue(f"Invalid value {run_ids!r} for parameter 'run_ids' supplied: "
                                    "it must be a list of run ids")
    for run_id in run_ids:
        if (not isinstance(run_id, str) or not 0 < len(run_id) <= _MAX_RUN_ID_LENGTH
                or not all(c.isascii() and (c.isalnum() or c in "_-") for c in run_id)):
            raise InvalidParameterValue(f"Invalid value {run_id!r} in parameter 'run_ids': a run id is "
                                        f"1-{_MAX_RUN_ID_LENGTH} characters of [a-zA-Z0-9_-]")
    unique = list(dict.fromkeys(run_ids))
    if len(unique) > limit:
        raise InvalidParameterValue(f"Parameter 'run_ids' has {len(unique)} values; at most {limit} are allowed")
    return unique


def check_summary_keys(keys: Any) -> list[str] | None:
    """The metric keys to summarise: None (or an empty list) for all of them, else distinct
    non-empty strings, at most ``MAX_SUMMARY_KEYS``."""
    if keys is None or (isinstance(keys, (list, tuple)) and not keys):
        return None
    if not isinstance(keys, (list, tuple)) or not all(isinstance(k, str) and 0 < len(k) <= _MAX_KEY_LENGTH
                                                       for k in keys):
        raise InvalidParameterValue(f"Invalid value {keys!r} for parameter 'metric_keys' supplied: it must be "
                                    f"a list of metric keys of 1-{_MAX_KEY_LENGTH} characters")
    unique = list(dict.fromkeys(keys))
    if len(unique) > MAX_SUMMARY_KEYS:
        raise InvalidParameterValue(
            f"Parameter 'metric_keys' has {len(unique)} keys; at most {MAX_SUMMARY_KEYS} are allowed")
    return unique
