"""Search ASTs (``runyard.search``) to SQLAlchemy clauses; ordering with NULLs last; paging."""

from __future__ import annotations

from typing import Any, Sequence

import sqlalchemy as sa

from runyard import search
from runyard.errors import InvalidParameterValue
from runyard.stores.sql import schema
from runyard.stores.sql.engine import Tx

R = schema.runs
E = schema.experiments

_RUN_ATTRIBUTES = {
    "run_id": R.c.run_uuid, "run_name": R.c.name, "status": R.c.status, "user_id": R.c.user_id,
    "artifact_uri": R.c.artifact_uri, "lifecycle_stage": R.c.lifecycle_stage,
    "start_time": R.c.start_time, "end_time": R.c.end_time,
}
_EXPERIMENT_ATTRIBUTES = {
    "name": E.c.name, "experiment_id": E.c.experiment_id,
    "creation_time": E.c.creation_time, "last_update_time": E.c.last_update_time,
}
_KEYED_TABLES = {"metric": schema.latest_metrics, "param": schema.params, "tag": schema.tags}


def compare(column: Any, op: str, value: Any) -> Any:
    """``column <op> value`` for one comparison of the grammar."""
    if op == "=":
        return column == value
    if op == "!=":
        return column != value
    if op == "<":
        return column < value
    if op == "<=":
        return column <= value
    if op == ">":
        return column > value
    if op == ">=":
        return column >= value
    if op == "LIKE":
        return column.like(value)
    if op == "ILIKE":
        return column.ilike(value)
    if op == "IN":
        return column.in_(list(value))
    if op == "NOT IN":
        return column.not_in(list(value))
    if op == "IS NULL":
        return column.is_(None)
    if op == "IS NOT NULL":
        return column.is_not(None)
    raise InvalidParameterValue(f"Unsupported comparison operator {op!r}")


def _keyed_exists(table: sa.Table, owner: Any, owner_column: str, key: str) -> Any:
    return sa.exists().where(table.c[owner_column] == owner, table.c.key == key)


def _dataset_clause(comparison: search.Comparison) -> Any:
    inputs, datasets, input_tags = schema.inputs, schema.datasets, schema.input_tags
    linked = sa.and_(inputs.c.destination_type == "RUN", inputs.c.destination_id == R.c.run_uuid,
                     inputs.c.source_type == "DATASET", inputs.c.source_id == datasets.c.dataset_uuid)
    if comparison.key == "context":
        match = sa.exists().where(input_tags.c.input_uuid == inputs.c.input_uuid,
                                  input_tags.c.name == "mlflow.data.context",
                                  compare(input_tags.c.value, comparison.op, comparison.value))
        return sa.exists().where(linked, match)
    return sa.exists().where(linked, compare(datasets.c[comparison.key], comparison.op, comparison.value))


def apply_run_filter(query: sa.Select, comparisons: Sequence[search.Comparison]) -> sa.Select:
    for comparison in comparisons:
        kind, op, value = comparison.kind, comparison.op, comparison.value
        if kind == "attribute":
            query = query.where(compare(_RUN_ATTRIBUTES[comparison.key], op, value))
        elif kind == "dataset":
            query = query.where(_dataset_clause(comparison))
        elif op in ("IS NULL", "IS NOT NULL"):
            exists = _keyed_exists(_KEYED_TABLES[kind], R.c.run_uuid, "run_uuid", comparison.key)
            query = query.where(~exists if op == "IS NULL" else exists)
        else:
            alias = _KEYED_TABLES[kind].alias()
            query = query.join(alias, sa.and_(alias.c.run_uuid == R.c.run_uuid, alias.c.key == comparison.key))
            query = query.where(compare(alias.c.value, op, value))
    return query


def _nulls_last(column: Any, ascending: bool) -> list[Any]:
    return [sa.case((column.is_(None), 1), else_=0), column.asc() if ascending else column.desc()]


def apply_run_order(query: sa.Select, ordering: Sequence[search.OrderBy]) -> sa.Select:
    clauses: list[Any] = []
    for order in ordering:
        if order.kind == "attribute":
            clauses += _nulls_last(_RUN_ATTRIBUTES[order.key], order.ascending)
            continue
        alias = _KEYED_TABLES[order.kind].alias()
        query = query.outerjoin(alias, sa.and_(alias.c.run_uuid == R.c.run_uuid, alias.c.key == order.key))
        clauses += _nulls_last(alias.c.value, order.ascending)
    # MLflow's default order, also the tie-break for every explicit ordering.
    clauses += [R.c.start_time.desc(), R.c.run_uuid.asc()]
    return query.order_by(*clauses)


def experiment_filter_clauses(comparisons: Sequence[search.Comparison]) -> list[Any]:
    clauses = []
    for comparison in comparisons:
        op, value = comparison.op, comparison.value
        if comparison.kind == "tag":
            table = schema.experiment_tags
            exists = _keyed_exists(table, E.c.experiment_id, "experiment_id", comparison.key)
            if op in ("IS NULL", "IS NOT NULL"):
                clauses.append(~exists if op == "IS NULL" else exists)
            else:
                clauses.append(sa.exists().where(table.c.experiment_id == E.c.experiment_id,
                                                 table.c.key == comparison.key, compare(table.c.value, op, value)))
            continue
        column = _EXPERIMENT_ATTRIBUTES[comparison.key]
        if comparison.key == "experiment_id":
            value = _experiment_ids(value)
        clauses.append(compare(column, op, value))
    return clauses


def _experiment_ids(value: Any) -> Any:
    def as_int(text: Any) -> int:
        try:
            return int(text)
        except (TypeError, ValueError):
            return -1  # matches nothing: ids are non-negative
    if isinstance(value, tuple):
        return tuple(as_int(v) for v in value)
    return as_int(value)


def experiment_order_clauses(ordering: Sequence[search.OrderBy]) -> list[Any]:
    if not ordering:
        return [E.c.creation_time.desc(), E.c.experiment_id.asc()]
    clauses: list[Any] = []
    for order in ordering:
        clauses += _nulls_last(_EXPERIMENT_ATTRIBUTES[order.key], order.ascending)
    clauses.append(E.c.experiment_id.asc())
    return clauses


def check_max_results(max_results: Any, limit: int) -> int:
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results <= 0:
        raise InvalidParameterValue(f"Invalid max_results {max_results!r}: must be a positive integer")
    if max_results > limit:
        raise InvalidParameterValue(f"Invalid max_results {max_results}: it must be at most {limit}")
    return max_results


def paginate(tx: Tx, query: sa.Select, max_results: int, page_token: str | None, limit: int) -> tuple[list, str | None]:
    """First column of one page of ``query`` and the token of the next page (None at the end)."""
    max_results = check_max_results(max_results, limit)
    offset = search.decode_page_token(page_token)
    rows = tx.query(query.limit(max_results + 1).offset(offset))
    ids = [row[0] for row in rows[:max_results]]
    token = search.encode_page_token(offset + max_results) if len(rows) > max_results else None
    return ids, token
