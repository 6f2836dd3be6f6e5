"""What the web UI reads about many runs at once, computed in SQL: distinct keys, counts, and
aggregates per group.

Keys of a large experiment come from a walk over the key index (one index seek per distinct key,
not one row per run and key); a small experiment's keys come from its runs. Counts and groups
use the same filter translation as ``search_runs``.
"""

from __future__ import annotations

from typing import Any, Sequence

import sqlalchemy as sa

from runyard import search
from runyard.entities import LifecycleStage, ViewType
from runyard.entities.run_views import (
    KEY_KINDS,
    MAX_GROUPS,
    RUN_KEYS_DEFAULT,
    RUN_KEYS_LIMIT,
    MetricSummary,
    RunGroup,
    RunGroups,
    RunKeys,
    check_choice,
    check_experiment_ids,
    check_int,
    check_metric_keys,
    check_prefix,
)
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist
from runyard.stores.sql import schema
from runyard.stores.sql.engine import Database, Tx
from runyard.stores.sql.experiments import _experiment_key
from runyard.stores.sql.filters import apply_run_filter
from runyard.stores.sql.run_reads import loaded_value

R = schema.runs
LM = schema.latest_metrics
_KEY_TABLES = {"metrics": LM, "params": schema.params, "tags": schema.tags}
_GROUP_TABLES = {"param": schema.params, "tag": schema.tags}
_GROUP_ATTRIBUTES = {"run_name": R.c.name, "status": R.c.status, "user_id": R.c.user_id,
                     "lifecycle_stage": R.c.lifecycle_stage}


def _experiment_keys(experiment_ids: Sequence[str]) -> list[int]:
    keys = []
    for experiment_id in check_experiment_ids(experiment_ids):
        try:
            keys.append(_experiment_key(experiment_id))
        except ResourceDoesNotExist:
            continue  # a non-numeric id names no experiment here: nothing to find
    return keys


def matching_runs(columns: Sequence[Any], experiment_keys: list[int], filter_string: str | None,
                  run_view_type: int) -> sa.Select:
    """``SELECT columns FROM runs`` restricted as ``search_runs`` restricts them."""
    stages = LifecycleStage.stages_for(ViewType.normalize(run_view_type))
    query = sa.select(*columns).select_from(R).where(R.c.experiment_id.in_(experiment_keys),
                                                     R.c.lifecycle_stage.in_(stages))
    return apply_run_filter(query, search.parse_run_filter(filter_string))


def _starts_with(column: Any, prefix: str) -> list[Any]:
    if not prefix:
        return []
    # lower() on both sides: the database decides what case-insensitive means, consistently.
    return [sa.func.lower(sa.func.substr(column, 1, len(prefix))) == sa.func.lower(sa.literal(prefix))]


def _keys_from_runs(table: sa.Table, experiment_keys: list[int], prefix: str, limit: int) -> sa.Select:
    return (sa.select(table.c.key).distinct()
            .select_from(R.join(table, table.c.run_uuid == R.c.run_uuid))
            .where(R.c.experiment_id.in_(experiment_keys), *_starts_with(table.c.key, prefix))
            .order_by(table.c.key).limit(limit))


def _keys_by_index(table: sa.Table, experiment_keys: list[int], prefix: str, limit: int) -> sa.Select:
    """A loose index scan: each step seeks the next distinct key, then one probe checks that some
    run of the experiments has it. The walk yields keys in index order, so the outer LIMIT ends it."""
    step = table.alias("step")
    walk = sa.select(sa.func.min(table.c.key).label("key")).cte("key_walk", recursive=True)
    following = sa.select(sa.func.min(step.c.key)).where(step.c.key > walk.c.key).scalar_subquery()
    walk = walk.union_all(sa.select(following).where(walk.c.key.is_not(None)))
    probe = table.alias("probe")
    # "+ 0" keeps the planner off the runs' experiment index: the probe must start from the key
    # (index on key) and look each run up by id; from the runs side, a key that only the newest
    # run has costs a probe per run of the experiment.
    used = sa.exists().where(probe.c.key == walk.c.key, R.c.run_uuid == probe.c.run_uuid,
                             (R.c.experiment_id + 0).in_(experiment_keys))
    return (sa.select(walk.c.key)
            .where(walk.c.key.is_not(None), *_starts_with(walk.c.key, prefix), used)
            .limit(limit))


def _run_count(tx: Tx, experiment_keys: list[int], limit: int) -> int:
    """The number of runs of the experiments, counted no further than ``limit``."""
    inner = sa.select(R.c.run_uuid).where(R.c.experiment_id.in_(experiment_keys)).limit(limit).subquery()
    return tx.query(sa.select(sa.func.count()).select_from(inner))[0][0]


def _group_column(group_by: Any) -> tuple[str, str]:
    if not isinstance(group_by, str) or not group_by.strip():
        raise InvalidParameterValue("Missing value for required parameter 'group_by'.")
    try:
        (order,) = search.parse_run_order_by([group_by])
    except InvalidParameterValue as exc:
        raise InvalidParameterValue(f"Invalid value {group_by!r} for parameter 'group_by': {exc.message}") from None
    if not order.ascending or group_by.rstrip().upper().endswith(" ASC"):
        raise InvalidParameterValue(f"Invalid value {group_by!r} for parameter 'group_by': no ASC/DESC here")
    if order.kind not in _GROUP_TABLES and not (order.kind == "attribute" and order.key in _GROUP_ATTRIBUTES):
        raise InvalidParameterValue(
            f"Invalid value {group_by!r} for parameter 'group_by': runs group by params.<key>, tags.<key> "
            f"or one of the attributes {', '.join(sorted(_GROUP_ATTRIBUTES))}")
    return order.kind, order.key


class RunViewsMixin:
    db: Database
    # Up to this many runs, reading every key of every run is cheaper than walking the key index.
    keys_read_from_runs_up_to: int = 5000

    def search_run_keys(self, experiment_ids: Sequence[str], kind: str, prefix: str = "",
                        max_results: int = RUN_KEYS_DEFAULT) -> RunKeys:
        check_choice(kind, "kind", KEY_KINDS)
        prefix = check_prefix(prefix)
        check_int(max_results, "max_results", 1, RUN_KEYS_LIMIT)
        experiment_keys = _experiment_keys(experiment_ids)
        if not experiment_keys:
            return RunKeys(())
        table = _KEY_TABLES[kind]
        with self.db.transaction() as tx:
            # MySQL caps recursion depth (1000 by default), below the number of keys a walk may take.
            limit = self.keys_read_from_runs_up_to
            direct = self.db.kind == "mysql" or _run_count(tx, experiment_keys, limit + 1) <= limit
            build = _keys_from_runs if direct else _keys_by_index
            found = [row[0] for row in tx.query(build(table, experiment_keys, prefix, max_results + 1))]
        return RunKeys(tuple(sorted(found[:max_results])), len(found) > max_results)

    def count_runs(self, experiment_ids: Sequence[str], filter_string: str | None = None,
                   run_view_type: int = ViewType.ACTIVE_ONLY) -> int:
        experiment_keys = _experiment_keys(experiment_ids)
        if not experiment_keys:
            return 0
        query = matching_runs([sa.func.count()], experiment_keys, filter_string, run_view_type)
        with self.db.transaction() as tx:
            return int(tx.query(query)[0][0])

    def group_runs(self, experiment_ids: Sequence[str], group_by: str, metric_keys: Sequence[str] = (),
                   filter_string: str | None = None, run_view_type: int = ViewType.ACTIVE_ONLY) -> RunGroups:
        kind, key = _group_column(group_by)
        metric_keys = check_metric_keys(metric_keys)
        experiment_keys = _experiment_keys(experiment_ids)
        if not experiment_keys:
            return RunGroups(())
        query = self._grouped(kind, key, metric_keys, experiment_keys, filter_string, run_view_type)
        with self.db.transaction() as tx:
            rows = tx.query(query)
        convert = self._stored_number
        groups = tuple(
            RunGroup(row[0], int(row[1]), {
                metric: MetricSummary(int(row[2 + 4 * i]), *(convert(v) for v in row[3 + 4 * i:6 + 4 * i]))
                for i, metric in enumerate(metric_keys)})
            for row in rows[:MAX_GROUPS])
        return RunGroups(groups, len(rows) > MAX_GROUPS)

    def _grouped(self, kind: str, key: str, metric_keys: list[str], experiment_keys: list[int],
                 filter_string: str | None, run_view_type: int) -> sa.Select:
        joins: list[tuple[Any, Any]] = []
        if kind == "attribute":
            column = _GROUP_ATTRIBUTES[key]
        else:
            table = _GROUP_TABLES[kind].alias("grouped")
            joins.append((table, sa.and_(table.c.run_uuid == R.c.run_uuid, table.c.key == key)))
            column = table.c.value
        aggregates: list[Any] = []
        for i, metric in enumerate(metric_keys):
            point = LM.alias(f"m{i}")
            joins.append((point, sa.and_(point.c.run_uuid == R.c.run_uuid, point.c.key == metric)))
            value = point.c.value
            aggregates += [sa.func.count(value), sa.func.avg(value), sa.func.min(value), sa.func.max(value)]
        query = matching_runs([column, sa.func.count(), *aggregates], experiment_keys, filter_string, run_view_type)
        for target, on in joins:
            query = query.outerjoin(target, on)
        return (query.group_by(column)
                .order_by(sa.case((column.is_(None), 1), else_=0), column)
                .limit(MAX_GROUPS + 1))

    def _stored_number(self, value: Any) -> float | None:
        if value is None:
            return None
        return loaded_value(float(value), self.db.kind)
