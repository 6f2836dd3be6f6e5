"""Per-run metric summaries (last, min, max, mean, count), computed in SQL in one statement.

The history's points are read once (the metrics table is clustered by run, so ``run_uuid IN``
reads only the requested runs' pages). A window over (run, key) gives each point its series'
finite min and max, so the GROUP BY that follows can pick the first step reaching each extreme
without a second pass; the last point comes from ``latest_metrics``, the same value that search
and the runs table show.

Infinities are counted apart from the finite mean: ``avg`` over +inf and -inf is NaN on some
databases and NULL on others, and MySQL stores them clamped to the largest double.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import sqlalchemy as sa

from runyard.entities.metric_summaries import (
    MAX_SUMMARY_RUNS,
    RunMetricSummary,
    check_run_ids,
    check_summary_keys,
)
from runyard.stores.sql import schema
from runyard.stores.sql.engine import Database
from runyard.stores.sql.run_reads import loaded_value, stored_value

M = schema.metrics
LM = schema.latest_metrics


def _summary_query(run_ids: list[str], keys: list[str] | None, kind: str) -> sa.Select:
    finite_or_inf = sa.case((M.c.is_nan == 0, M.c.value))
    where = [M.c.run_uuid.in_(run_ids)]
    if keys is not None:
        where.append(M.c.key.in_(keys))
    window = {"partition_by": (M.c.run_uuid, M.c.key)}
    points = sa.select(
        M.c.run_uuid, M.c.key, M.c.step, M.c.value, M.c.is_nan,
        sa.func.min(finite_or_inf).over(**window).label("lo"),
        sa.func.max(finite_or_inf).over(**window).label("hi"),
    ).where(*where).subquery("points")
    p = points.c
    real = p.is_nan == 0
    top = sa.literal(stored_value(math.inf, kind), schema.Double)
    bottom = sa.literal(stored_value(-math.inf, kind), schema.Double)
    finite = sa.and_(real, p.value < top, p.value > bottom)
    summary = sa.select(
        p.run_uuid, p.key,
        sa.func.count().label("count"),
        sa.func.avg(sa.case((finite, p.value))).label("finite_mean"),
        sa.func.sum(sa.case((sa.and_(real, p.value >= top), 1), else_=0)).label("positive"),
        sa.func.sum(sa.case((sa.and_(real, p.value <= bottom), 1), else_=0)).label("negative"),
        sa.func.min(p.lo).label("lo"),
        sa.func.min(sa.case((sa.and_(real, p.value == p.lo), p.step))).label("lo_step"),
        sa.func.max(p.hi).label("hi"),
        sa.func.min(sa.case((sa.and_(real, p.value == p.hi), p.step))).label("hi_step"),
    ).group_by(p.run_uuid, p.key).subquery("summary")
    s = summary.c
    return (sa.select(s.run_uuid, s.key, LM.c.value, LM.c.step, s.lo, s.lo_step, s.hi, s.hi_step,
                      s.finite_mean, s.positive, s.negative, s.count)
            .select_from(summary.outerjoin(LM, sa.and_(LM.c.run_uuid == s.run_uuid, LM.c.key == s.key))))


def _mean(finite_mean: Any, positive: Any, negative: Any, kind: str) -> float | None:
    if positive and negative:
        return math.nan
    if positive:
        return math.inf
    if negative:
        return -math.inf
    return None if finite_mean is None else loaded_value(float(finite_mean), kind)


class MetricSummariesMixin:
    db: Database

    def get_metric_summaries(self, run_ids: Sequence[str],
                             metric_keys: Sequence[str] | None = None) -> list[RunMetricSummary]:
        ids = check_run_ids(list(run_ids) if isinstance(run_ids, tuple) else run_ids, MAX_SUMMARY_RUNS)
        keys = check_summary_keys(metric_keys)
        kind = self.db.kind
        with self.db.transaction() as tx:
            rows = list(tx.query(_summary_query(ids, keys, kind)))
        number = (lambda v: None if v is None else loaded_value(float(v), kind))
        order = {run_id: i for i, run_id in enumerate(ids)}
        rows.sort(key=lambda row: (order[row[0]], row[1]))
        return [
            RunMetricSummary(
                run_id=run_id, key=key,
                last=loaded_value(None if last is None else float(last), kind),
                last_step=int(last_step) if last_step is not None else 0,
                min=number(lo), min_step=None if lo_step is None else int(lo_step),
                max=number(hi), max_step=None if hi_step is None else int(hi_step),
                mean=_mean(finite_mean, positive, negative, kind), count=int(count))
            for run_id, key, last, last_step, lo, lo_step, hi, hi_step, finite_mean, positive, negative, count
            in rows]
