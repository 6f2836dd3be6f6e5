"""Runs as a pandas DataFrame, in the shape ``mlflow.search_runs`` returns.

Columns: run_id, experiment_id, status, artifact_uri, start_time, end_time (UTC datetimes, NaT
when missing), then ``metrics.*`` (float, NaN when missing), ``params.*`` and ``tags.*`` (strings,
missing as None). Dtypes are whatever pandas infers for MLflow's own construction (object and
datetime64[ns, UTC] on pandas 2; str and datetime64[us, UTC] on pandas 3). The frame is built column-wise in one pass: each key keeps only the rows that have it,
and the full columns are filled at the end, so the cost follows the number of values, not
runs x keys.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from runyard.entities import Run, RunTable
from runyard.memory import gc_paused

_NAT = np.iinfo(np.int64).min
BASE_COLUMNS = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")


_time_dtype: object = None


def _times_column(millis: list[int | None]) -> pd.Series:
    global _time_dtype
    if _time_dtype is None:
        # The resolution MLflow's per-value pd.to_datetime(ms, unit="ms", utc=True) ends up with.
        _time_dtype = pd.Series([pd.to_datetime(0, unit="ms", utc=True)]).dtype
    ns = np.fromiter((_NAT if m is None else m * 1_000_000 for m in millis), dtype=np.int64, count=len(millis))
    return pd.Series(pd.DatetimeIndex(ns.view("M8[ns]")).tz_localize("UTC")).astype(_time_dtype)


def runs_to_frame(runs: Iterable[Run]) -> pd.DataFrame:
    """A DataFrame with one row per run (MLflow's column names, order and dtypes)."""
    return table_to_frame(RunTable.from_runs(runs))


def table_to_frame(table: RunTable) -> pd.DataFrame:
    """The DataFrame of a run table, built column by column with C-level maps."""
    with gc_paused():
        return _table_to_frame(table)


def _table_to_frame(table: RunTable) -> pd.DataFrame:
    run_ids = table.run_ids
    n = len(run_ids)
    columns: dict[str, object] = {
        "run_id": run_ids,
        "experiment_id": table.experiment_ids,
        "status": table.statuses,
        "artifact_uri": table.artifact_uris,
        "start_time": _times_column(table.start_times),
        "end_time": _times_column(table.end_times),
    }
    if n == 0:
        return pd.DataFrame({name: columns[name] for name in BASE_COLUMNS}, columns=list(BASE_COLUMNS))
    position = {run_id: i for i, run_id in enumerate(run_ids)}.__getitem__
    for key, values in table.metrics.items():
        column = np.full(n, np.nan)
        rows = np.fromiter(map(position, values.keys()), dtype=np.int64, count=len(values))
        column[rows] = np.fromiter(values.values(), dtype=np.float64, count=len(values))
        columns["metrics." + key] = column
    for prefix, sink in (("params.", table.params), ("tags.", table.tags)):
        for key, values in sink.items():
            columns[prefix + key] = list(map(values.get, run_ids))
    return pd.DataFrame(columns, copy=False)
