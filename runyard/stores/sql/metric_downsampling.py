"""Downsampled metric histories for charts: per x bucket, the lowest and the highest point.

Keeping each bucket's extremes (rather than every n-th point) means a spike always survives. Buckets
are computed in SQL, never by reading the series into Python:

* SQLite, step axis (the charts' default): the history is stored in step order, so each bucket is a
  range of the primary key. One statement runs two aggregate subqueries per bucket over its range;
  SQLite's min()/max() carry the rest of the row they chose (its "bare column" rule), so the series
  is read twice and never sorted.
* SQLite, timestamp axis: timestamps almost always rise with the steps, and then each time bucket is
  a range of steps too. A bisection over a few thousand primary-key seeks finds the step where each
  bucket begins, and the same range statement reads the buckets, counting the points whose time
  falls outside their range's bucket: with none, the answer is exact; otherwise (or when the seeks
  already show time going backwards, or for a time window) the GROUP BY below answers.
* Otherwise: GROUP BY bucket. SQLite uses the same bare-column aggregates; PostgreSQL and MySQL rank
  each bucket's points with a window function.
"""

from __future__ import annotations

import bisect
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
# (points, the first and the last point, each bucket's lowest and highest finite point)
_Sample = tuple[int, list[_Row], list[_Row]]


def _bucket(x: Any, lo: int, hi: int, buckets: int) -> Any:
    """Bucket number 0..buckets-1 of ``x`` in [lo, hi], buckets of equal width."""
    span = hi - lo + 1
    if span * buckets < _EXACT_SPAN:
        return ((x - lo) * buckets) // sa.literal(span, sa.BigInteger)
    scaled = (sa.cast(x, schema.Double) - float(lo)) * (buckets / span)
    return sa.cast(scaled, sa.BigInteger)


def _starts(lo: int, hi: int, buckets: int) -> list[int]:
    """First x of each bucket and one past the last: x is in bucket floor((x - lo) * buckets / span)."""
    span = hi - lo + 1
    return [lo + (i * span + buckets - 1) // buckets for i in range(buckets + 1)]


def _point_columns() -> tuple[Any, ...]:
    return (M.c.step, M.c.timestamp, M.c.value, M.c.is_nan)


def _ends(tx: Tx, where: list[Any], x: Any, other: Any) -> list[_Row]:
    """The first and the last point by (x, other); [] for no points."""
    ends = [tx.query(sa.select(*_point_columns()).where(*where).order_by(*order).limit(1))
            for order in ((x.asc(), other.asc()), (x.desc(), other.desc()))]
    return [*ends[0], *ends[1]]


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


# Two aggregates per bucket (a range of steps); NaN points (value 0, is_nan 1) count but never win:
# the lowest point comes from the finite points alone, which is cheaper than skipping NaN in min().
# {strays} counts the range's points whose timestamp lies outside [first_time, last_time]. The
# GROUP BY keeps SQLite from flattening the ranges into the scans, where every point would parse
# its range's bounds out of the JSON again.
_BY_RANGE_SQLITE = """
WITH bucket(low, high, first_time, last_time) AS (
  SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
         json_extract(value, '$[3]') FROM json_each(:ranges) GROUP BY key)
SELECT
  (SELECT printf('%d %d %!.17g %d', step, timestamp, min(value), count(*))
   FROM metrics WHERE run_uuid = :run_uuid AND step >= bucket.low AND step <= bucket.high AND key = :key
                      AND is_nan = 0),
  (SELECT printf('%d %d %!.17g %d %d', step, timestamp, max(CASE WHEN is_nan = 0 THEN value END), count(*),
                 {strays})
   FROM metrics WHERE run_uuid = :run_uuid AND step >= bucket.low AND step <= bucket.high AND key = :key)
FROM bucket
"""
_STRAYS = "count(CASE WHEN timestamp < bucket.first_time OR timestamp > bucket.last_time THEN 1 END)"
# The timestamp of the first point at or after each probed step (NULL past the last one).
_TIME_AT_STEPS_SQLITE = """
SELECT (SELECT timestamp FROM metrics WHERE run_uuid = :run_uuid AND key = :key AND step >= probe.value
        ORDER BY step, timestamp LIMIT 1)
FROM json_each(:steps) AS probe ORDER BY probe.key
"""


def _by_ranges_sqlite(tx: Tx, run_id: str, key: str, ranges: list[list[int]],
                      check_time: bool) -> tuple[int, int, list[_Row]]:
    """(points, points outside their range's time bounds, each range's lowest and highest finite
    point) for ranges [first step, last step, first time, last time] on SQLite."""
    name = "downsample_by_range" + (":time" if check_time else "")
    statement = tx.db.cached(name, lambda: sa.text(_BY_RANGE_SQLITE.format(strays=_STRAYS if check_time else "0")))
    total = strays = 0
    rows: list[_Row] = []
    for lowest, highest in tx.run(statement, {"ranges": json.dumps(ranges), "run_uuid": run_id,
                                              "key": key}).fetchall():
        step, timestamp, value, finite = lowest.split(" ")
        step_high, timestamp_high, value_high, count, stray = highest.split(" ")
        total += int(count)
        strays += int(stray)
        if int(finite):
            rows.append((int(step), int(timestamp), float(value), 0))
            rows.append((int(step_high), int(timestamp_high), float(value_high), 0))
    return total, strays, rows


def _times_at(tx: Tx, run_id: str, key: str, steps: list[int]) -> list[int | None]:
    statement = tx.db.cached("downsample_time_at_steps", lambda: sa.text(_TIME_AT_STEPS_SQLITE))
    rows = tx.run(statement, {"steps": json.dumps(steps), "run_uuid": run_id, "key": key}).fetchall()
    return [row[0] for row in rows]


def _time_ranges_sqlite(tx: Tx, run_id: str, key: str, ends: list[_Row], buckets: int) -> list[list[int]] | None:
    """[first step, last step, first time, last time] of each time bucket's points, assuming time
    rises with the step; None when a sample of the series already shows that it does not."""
    first_step, last_step = ends[0][0], ends[1][0]
    lo, hi = ends[0][1], ends[1][1]
    if hi < lo or (hi - lo + 1) * buckets >= _EXACT_SPAN:
        return None
    grid = _starts(first_step, last_step, min(buckets, last_step - first_step + 1))[:-1]
    grid_times = _times_at(tx, run_id, key, grid)
    if any(t is None for t in grid_times) or any(a > b for a, b in zip(grid_times, grid_times[1:])):
        return None
    times = _starts(lo, hi, buckets)
    # For each bucket start after the first: the first step whose point is at that time or later,
    # bracketed by the grid, then bisected over all brackets at once.
    low, high = [], []
    for t in times[1:-1]:
        j = bisect.bisect_left(grid_times, t)
        low.append(grid[j - 1] + 1 if j > 0 else first_step)
        high.append(grid[j] if j < len(grid) else last_step + 1)
    while any(a < b for a, b in zip(low, high)):
        todo = [i for i, (a, b) in enumerate(zip(low, high)) if a < b]
        middles = [(low[i] + high[i]) // 2 for i in todo]
        for i, middle, t in zip(todo, middles, _times_at(tx, run_id, key, middles)):
            if t is None or t >= times[i + 1]:
                high[i] = middle
            else:
                low[i] = middle + 1
    steps = [first_step, *low, last_step + 1]
    if any(a > b for a, b in zip(steps, steps[1:])):
        return None  # time goes backwards somewhere: the ranges would not partition the steps
    return [[steps[i], steps[i + 1] - 1, times[i], times[i + 1] - 1] for i in range(buckets) if steps[i] < steps[i + 1]]


def _sample_sqlite_by_time(tx: Tx, run_id: str, key: str, where: list[Any], windowed: bool, buckets: int) -> _Sample:
    if not windowed:
        by_step = _ends(tx, where, M.c.step, M.c.timestamp)
        if not by_step:
            return 0, [], []
        ranges = _time_ranges_sqlite(tx, run_id, key, by_step, buckets)
        if ranges is not None:
            total, strays, extremes = _by_ranges_sqlite(tx, run_id, key, ranges, check_time=True)
            if strays == 0:
                # Every point lies in its bucket, so the first and last by step are those by time.
                return total, by_step, extremes
    # One pass for the span and the count; each end is then the first point found at its time.
    lo, hi, total = tx.query(sa.select(sa.func.min(M.c.timestamp), sa.func.max(M.c.timestamp),
                                       sa.func.count()).where(*where))[0]
    if not total:
        return 0, [], []
    ends = [*tx.query(sa.select(*_point_columns()).where(*where, M.c.timestamp == lo).order_by(M.c.step).limit(1)),
            *tx.query(sa.select(*_point_columns()).where(*where, M.c.timestamp == hi)
                      .order_by(M.c.step.desc()).limit(1))]
    extremes = tx.query(_extremes_sqlite(where, _bucket(M.c.timestamp, lo, hi, buckets))) if total > 2 * buckets else []
    return total, ends, extremes


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
            if self.db.kind == "sqlite" and x_axis != "step":
                total, ends, extremes = _sample_sqlite_by_time(tx, run_id, metric_key, where,
                                                               min_x is not None or max_x is not None, buckets)
            else:
                total, ends, extremes = self._sample(tx, run_id, metric_key, where, x, other, buckets)
            if total <= 2 * buckets:
                rows = tx.query(sa.select(*_point_columns()).where(*where).order_by(x, other)) if total else []
                return DownsampledSeries(self._points(metric_key, rows, x_axis), total, False)
        return DownsampledSeries(self._points(metric_key, [*ends, *extremes], x_axis), total, True)

    def _sample(self, tx: Tx, run_id: str, key: str, where: list[Any], x: Any, other: Any, buckets: int) -> _Sample:
        ends = _ends(tx, where, x, other)
        if not ends:
            return 0, [], []
        column = 0 if x is M.c.step else 1
        lo, hi = ends[0][column], ends[1][column]
        if self.db.kind == "sqlite":  # step axis
            starts = _starts(lo, hi, buckets)
            ranges = [[starts[i], starts[i + 1] - 1, 0, 0] for i in range(buckets) if starts[i] < starts[i + 1]]
            total, _, extremes = _by_ranges_sqlite(tx, run_id, key, ranges, check_time=False)
            return total, ends, extremes
        total = tx.query(sa.select(sa.func.count()).where(*where))[0][0]
        bucket = _bucket(x, lo, hi, buckets)
        extremes = tx.query(_extremes_ranked(where, bucket, x, other)) if total > 2 * buckets else []
        return total, ends, extremes

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
