"""Downsampled metric histories for charts: per x bucket, the lowest and the highest point.

Keeping each bucket's extremes (rather than every n-th point) means a spike always survives. Buckets
are computed in SQL, never by reading the series into Python:

* SQLite, step axis (the charts' default): the history is stored in step order, so each bucket is a
  range of the primary key. One statement runs two aggregate subqueries per bucket over its range;
  SQLite's min()/max() carry the rest of the row they chose (its "bare column" rule), so the series
  is read twice and never sorted.
* Otherwise: GROUP BY bucket. SQLite uses the same bare-column aggregates; PostgreSQL and MySQL rank
  each bucket's points with a window function.
"""

from __future__ import annotations

import json
import math
from typing import Any

import sqlalchemy as sa

from runyard import validation
from runyard.entities import Metric
from runyard.entities.run_views import (
    BUCKETS_DEFAULT,
    BUCKETS_LIMIT,
    X_AXES,
    DownsampledSeries,
    check_choice,
    check_int,
    check_x_window,
)
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist
from runyard.stores.sql import schema
from runyard.stores.sql.engine import Database, Tx
from runyard.stores.sql.run_reads import loaded_value
from runyard.stores.sql.statements import Statements

M = schema.metrics
# Integer bucket arithmetic ((x - lo) * buckets) stays exact below this; wider spans use doubles.
_EXACT_SPAN = 2 ** 62
_Row = tuple  # (step, timestamp, value, is_nan)


def _bucket(x: Any, lo: int, hi: int, buckets: int) -> Any:
    """Bucket number 0..buckets-1 of ``x`` in [lo, hi], buckets of equal width."""
    span = hi - lo + 1
    if span * buckets < _EXACT_SPAN:
        return ((x - lo) * buckets) // sa.literal(span, sa.BigInteger)
    scaled = (sa.cast(x, schema.Double) - float(lo)) * (buckets / span)
    return sa.cast(scaled, sa.BigInteger)


def _point_columns() -> tuple[Any, ...]:
    return (M.c.step, M.c.timestamp, M.c.value, M.c.is_nan)


def _extremes_sqlite(where: list[Any], bucket: Any) -> sa.CompoundSelect:
    # SQLite: with a single min() or max(), the other (bare) columns come from the row it chose.
    finite = [*where, M.c.is_nan == 0]
    lowest = sa.select(M.c.step, M.c.timestamp, sa.func.min(M.c.value), M.c.is_nan).where(*finite).group_by(bucket)
    highest = sa.select(M.c.step, M.c.timestamp, sa.func.max(M.c.value), M.c.is_nan).where(*finite).group_by(bucket)
    return sa.union_all(lowest, highest)


def _extremes_ranked(where: list[Any], bucket: Any, x: Any, other: Any) -> sa.Select:
    ranked = sa.select(
        *_point_columns(),
        sa.func.row_number().over(partition_by=bucket, order_by=(M.c.value.asc(), x, other)).label("low"),
        sa.func.row_number().over(partition_by=bucket, order_by=(M.c.value.desc(), x, other)).label("high"),
    ).where(*where, M.c.is_nan == 0).subquery()
    return sa.select(ranked.c.step, ranked.c.timestamp, ranked.c.value, ranked.c.is_nan).where(
        sa.or_(ranked.c.low == 1, ranked.c.high == 1))


# Two aggregates per bucket (a range of steps); NaN points (value 0, is_nan 1) count but never win.
_BY_STEP_SQLITE = """
WITH bucket(low, high) AS (
  SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:bounds))
SELECT
  (SELECT printf('%d %d %!.17g %d %d', step, timestamp, min(CASE WHEN is_nan = 0 THEN value END),
                 count(*), count(CASE WHEN is_nan = 0 THEN 1 END))
   FROM metrics WHERE run_uuid = :run_uuid AND step >= bucket.low AND step <= bucket.high AND key = :key),
  (SELECT printf('%d %d %!.17g', step, timestamp, max(CASE WHEN is_nan = 0 THEN value END))
   FROM metrics WHERE run_uuid = :run_uuid AND step >= bucket.low AND step <= bucket.high AND key = :key)
FROM bucket
"""


def _step_bounds(lo: int, hi: int, buckets: int) -> str:
    """[[first, last], ...] steps of each bucket, as JSON: x is in bucket floor((x - lo) * buckets / span)."""
    span = hi - lo + 1
    starts = [lo + (i * span + buckets - 1) // buckets for i in range(buckets + 1)]
    return json.dumps([[starts[i], starts[i + 1] - 1] for i in range(buckets) if starts[i] < starts[i + 1]])


def _by_step_sqlite(tx: Tx, run_id: str, key: str, lo: int, hi: int, buckets: int) -> tuple[int, list[_Row]]:
    """(points in [lo, hi], each bucket's lowest and highest finite point) on SQLite."""
    statement = tx.db.cached("downsample_by_step", lambda: sa.text(_BY_STEP_SQLITE))
    total = 0
    rows: list[_Row] = []
    for lowest, highest in tx.run(statement, {"bounds": _step_bounds(lo, hi, buckets), "run_uuid": run_id,
                                              "key": key}).fetchall():
        step, timestamp, value, count, finite = lowest.split(" ")
        total += int(count)
        if int(finite):
            rows.append((int(step), int(timestamp), float(value), 0))
            step, timestamp, value = highest.split(" ")
            rows.append((int(step), int(timestamp), float(value), 0))
    return total, rows


class MetricDownsamplingMixin:
    db: Database
    sql: Statements

    def get_metric_downsampled(self, run_id: str, metric_key: str, x_axis: str = "step",
                               buckets: int = BUCKETS_DEFAULT, min_x: int | None = None,
                               max_x: int | None = None) -> DownsampledSeries:
        validation.validate_run_id(run_id)
        if not isinstance(metric_key, str) or not metric_key:
            raise InvalidParameterValue("Missing value for required parameter 'metric_key'.")
        validation.validate_length(metric_key, validation.MAX_KEY_LENGTH, "metric_key")
        check_choice(x_axis, "x_axis", X_AXES)
        check_int(buckets, "buckets", 1, BUCKETS_LIMIT)
        min_x, max_x = check_x_window(min_x, max_x)
        x, other = (M.c.step, M.c.timestamp) if x_axis == "step" else (M.c.timestamp, M.c.step)
        where = [M.c.run_uuid == run_id, M.c.key == metric_key]
        if min_x is not None:
            where.append(x >= min_x)
        if max_x is not None:
            where.append(x <= max_x)
        with self.db.transaction() as tx:
            if tx.run(self.sql.run_stage, (run_id,)).fetchone() is None:
                raise ResourceDoesNotExist(f"Run with id={run_id} not found")
            ends = [tx.query(sa.select(*_point_columns()).where(*where).order_by(*order).limit(1))
                    for order in ((x.asc(), other.asc()), (x.desc(), other.desc()))]
            if not ends[0]:
                return DownsampledSeries((), 0, False)
            column = 0 if x_axis == "step" else 1
            lo, hi = ends[0][0][column], ends[1][0][column]
            if self.db.kind == "sqlite" and x_axis == "step":
                total, extremes = _by_step_sqlite(tx, run_id, metric_key, lo, hi, buckets)
            else:
                total = tx.query(sa.select(sa.func.count()).where(*where))[0][0]
                extremes = self._ranked(tx, where, x, other, _bucket(x, lo, hi, buckets)) if total > 2 * buckets else []
            if total <= 2 * buckets:
                rows = tx.query(sa.select(*_point_columns()).where(*where).order_by(x, other))
                return DownsampledSeries(self._points(metric_key, rows, x_axis), total, False)
        rows = [*ends[0], *ends[1], *extremes]
        return DownsampledSeries(self._points(metric_key, rows, x_axis), total, True)

    def _ranked(self, tx: Tx, where: list[Any], x: Any, other: Any, bucket: Any) -> list[_Row]:
        """Each bucket's lowest and highest finite point, by GROUP BY bucket."""
        if self.db.kind == "sqlite":
            return tx.query(_extremes_sqlite(where, bucket))
        return tx.query(_extremes_ranked(where, bucket, x, other))

    def _points(self, key: str, rows: list[_Row], x_axis: str) -> tuple[Metric, ...]:
        """Metric points ordered by the x axis, each distinct point once."""
        kind = self.db.kind
        unique: dict[tuple, Metric] = {}
        for step, timestamp, value, is_nan in rows:
            number = math.nan if is_nan else loaded_value(float(value), kind)
            unique.setdefault((step, timestamp, bool(is_nan), number if not is_nan else 0.0),
                              Metric(key, number, timestamp, step))
        points = unique.values()
        if x_axis == "step":
            return tuple(sorted(points, key=lambda p: (p.step, p.timestamp)))
        return tuple(sorted(points, key=lambda p: (p.timestamp, p.step)))
