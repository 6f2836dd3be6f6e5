"""Search ASTs (``runyard.search``) to SQLAlchemy clauses; ordering with NULLs last; paging."""

from __future__ import annotations

from typing import Any, Sequence

import sqlalchemy as sa

from runyard import search
from runyard.validation import validate_max_results
from runyard.entities import LoggedModelStatus
from runyard.errors import InvalidParameterValue
from runyard.stores.sql import schema
from runyard.stores.sql.engine import Tx

R = schema.runs
E = schema.experiments
LM = schema.logged_models
LMM = schema.logged_model_metrics

_RUN_ATTRIBUTES = {
    "run_id": R.c.run_uuid, "run_name": R.c.name, "status": R.c.status, "user_id": R.c.user_id,
    "artifact_uri": R.c.artifact_uri, "lifecycle_stage": R.c.lifecycle_stage,
    "start_time": R.c.start_time, "end_time": R.c.end_time,
}
_EXPERIMENT_ATTRIBUTES = {
    "name": E.c.name, "experiment_id": E.c.experiment_id,
    "creation_time": E.c.creation_time, "last_update_time": E.c.last_update_time,
}
RUN_KEYED_TABLES = {"metric": schema.latest_metrics, "param": schema.params, "tag": schema.tags}
_LOGGED_MODEL_ATTRIBUTES = {
    "name": LM.c.name, "model_id": LM.c.model_id, "status": LM.c.status, "source_run_id": LM.c.source_run_id,
    "model_type": LM.c.model_type, "creation_timestamp": LM.c.creation_timestamp,
    "last_updated_timestamp": LM.c.last_updated_timestamp,
}
_LOGGED_MODEL_KEYED = {"param": schema.logged_model_params, "tag": schema.logged_model_tags}


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
            exists = _keyed_exists(RUN_KEYED_TABLES[kind], R.c.run_uuid, "run_uuid", comparison.key)
            query = query.where(~exists if op == "IS NULL" else exists)
        else:
            alias = RUN_KEYED_TABLES[kind].alias()
            query = query.join(alias, sa.and_(alias.c.run_uuid == R.c.run_uuid, alias.c.key == comparison.key))
            query = query.where(compare(alias.c.value, op, value))
    return query


def _nulls_last(column: Any, ascending: bool) -> list[Any]:
    return [sa.case((column.is_(None), 1), else_=0), column.asc() if ascending else column.desc()]


def apply_run_order(query: sa.Select, ordering: Sequence[search.OrderBy]) -> sa.Select:
    """ORDER BY ``ordering`` with NULLs last, then MLflow's default order as the tie-break."""
    clauses: list[Any] = []
    for order in ordering:
        if order.kind == "attribute":
            clauses += _nulls_last(_RUN_ATTRIBUTES[order.key], order.ascending)
            continue
        alias = RUN_KEYED_TABLES[order.kind].alias()
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


def _on_datasets(table: Any, datasets: Sequence[tuple[str, str | None]]) -> list[Any]:
    """Clauses restricting model metric points to any of ``(dataset_name, dataset_digest)``."""
    if not datasets:
        return []
    return [sa.or_(*(table.c.dataset_name == name if digest is None else
                     sa.and_(table.c.dataset_name == name, table.c.dataset_digest == digest)
                     for name, digest in datasets))]


def _latest_model_metric(key: str, datasets: Sequence[tuple[str, str | None]]) -> tuple[Any, list[Any]]:
    """A metric-points alias and the clauses that pin it to the model's latest point of ``key``
    (latest by timestamp, then step, as MLflow ranks them), among the given datasets."""
    point, newer = LMM.alias(), LMM.alias()
    later = sa.or_(newer.c.timestamp > point.c.timestamp,
                   sa.and_(newer.c.timestamp == point.c.timestamp, newer.c.step > point.c.step))
    superseded = sa.exists().where(newer.c.model_id == point.c.model_id, newer.c.key == key,
                                   *_on_datasets(newer, datasets), later)
    return point, [point.c.model_id == LM.c.model_id, point.c.key == key, *_on_datasets(point, datasets), ~superseded]


def _status_value(op: str, value: Any) -> Any:
    # Statuses are stored as READY etc.; accept MLflow's wire names (LOGGED_MODEL_READY) too.
    if op in ("=", "!="):
        return LoggedModelStatus.from_wire(value)
    if op in ("IN", "NOT IN"):
        return tuple(LoggedModelStatus.from_wire(v) for v in value)
    return value


def logged_model_filter_clauses(comparisons: Sequence[search.Comparison],
                                datasets: Sequence[tuple[str, str | None]] = ()) -> list[Any]:
    """WHERE clauses over ``logged_models`` for a parsed filter; metric comparisons test the
    latest value of the model's metric (restricted to ``datasets`` when given)."""
    clauses: list[Any] = []
    has_metric = False
    for comparison in comparisons:
        kind, key, op, value = comparison.kind, comparison.key, comparison.op, comparison.value
        if kind == "attribute":
            if key == "status":
                value = _status_value(op, value)
            clauses.append(compare(_LOGGED_MODEL_ATTRIBUTES[key], op, value))
        elif kind == "metric":
            has_metric = True
            point, latest = _latest_model_metric(key, datasets)
            clauses.append(sa.exists().where(*latest, compare(point.c.value, op, value)))
        else:
            table = _LOGGED_MODEL_KEYED[kind]
            clauses.append(sa.exists().where(table.c.model_id == LM.c.model_id, table.c.key == key,
                                             compare(table.c.value, op, value)))
    if datasets and not has_metric:
        # As in MLflow: with datasets and no metric clause, keep models with any metric on them.
        clauses.append(sa.exists().where(LMM.c.model_id == LM.c.model_id, *_on_datasets(LMM, datasets)))
    return clauses


def logged_model_order_clauses(ordering: Sequence[search.OrderBy]) -> list[Any]:
    """ORDER BY for logged models, NULLs last; ties broken by creation_timestamp DESC, model_id."""
    clauses: list[Any] = []
    for order in ordering:
        if order.kind == "attribute":
            clauses += _nulls_last(_LOGGED_MODEL_ATTRIBUTES[order.key], order.ascending)
            continue
        datasets = [(order.dataset_name, order.dataset_digest)] if order.dataset_name else []
        point = LMM.alias()
        latest = (sa.select(point.c.value)
                  .where(point.c.model_id == LM.c.model_id, point.c.key == order.key, *_on_datasets(point, datasets))
                  .order_by(point.c.timestamp.desc(), point.c.step.desc()).limit(1).scalar_subquery())
        clauses += _nulls_last(latest, order.ascending)
    if not any(o.kind == "attribute" and o.key == "creation_timestamp" for o in ordering):
        clauses.append(LM.c.creation_timestamp.desc())
    clauses.append(LM.c.model_id.asc())
    return clauses


def paginate(tx: Tx, query: sa.Select, max_results: int, page_token: str | None, limit: int) -> tuple[list, str | None]:
    """First column of one page of ``query`` and the token of the next page (None at the end)."""
    max_results = validate_max_results(max_results, limit)
    offset = search.decode_page_token(page_token)
    rows = tx.query(query.limit(max_results + 1).offset(offset))
    ids = [row[0] for row in rows[:max_results]]
    token = search.encode_page_token(offset + max_results) if len(rows) > max_results else None
    return ids, token
