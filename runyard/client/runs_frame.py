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

from runyard.entities import Run

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


def _sparse_column(rows: dict[int, object], n: int) -> list[object]:
    column: list[object] = [None] * n
    for index, value in rows.items():
        column[index] = value
    return column


def runs_to_frame(runs: Iterable[Run]) -> pd.DataFrame:
    """A DataFrame with one row per run (MLflow's column names, order and dtypes)."""
    run_ids: list[str] = []
    experiment_ids: list[str] = []
    statuses: list[str] = []
    artifact_uris: list[str] = []
    starts: list[int | None] = []
    ends: list[int | None] = []
    metrics: dict[str, dict[int, float]] = {}
    params: dict[str, dict[int, str]] = {}
    tags: dict[str, dict[int, str]] = {}
    for row, run in enumerate(runs):
        info, data = run.info, run.data
        run_ids.append(info.run_id)
        experiment_ids.append(info.experiment_id)
        statuses.append(info.status)
        artifact_uris.append(info.artifact_uri)
        starts.append(info.start_time)
        ends.append(info.end_time)
        for sink, values in ((metrics, data.metrics), (params, data.params), (tags, data.tags)):
            for key, value in values.items():
                rows = sink.get(key)
                if rows is None:
                    rows = sink[key] = {}
                rows[row] = value
    n = len(run_ids)
    columns: dict[str, object] = {
        "run_id": run_ids,
        "experiment_id": experiment_ids,
        "status": statuses,
        "artifact_uri": artifact_uris,
        "start_time": _times_column(starts),
        "end_time": _times_column(ends),
    }
    for key, rows in metrics.items():
        column = np.full(n, np.nan)
        if rows:
            column[np.fromiter(rows.keys(), dtype=np.int64, count=len(rows))] = np.fromiter(
                rows.values(), dtype=np.float64, count=len(rows)
            )
        columns["metrics." + key] = column
    for prefix, sink in (("params.", params), ("tags.", tags)):
        for key, rows in sink.items():
            columns[prefix + key] = _sparse_column(rows, n)
    if n == 0:
        return pd.DataFrame({name: columns[name] for name in BASE_COLUMNS}, columns=list(BASE_COLUMNS))
    return pd.DataFrame(columns, copy=False)
