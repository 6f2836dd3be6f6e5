"""Loading logged models with their tags, params and metrics in bulk; checks of model ids."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import sqlalchemy as sa

from runyard import validation
from runyard.entities import LifecycleStage, LoggedModel, Metric
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist
from runyard.memory import gc_paused
from runyard.stores.sql import schema
from runyard.stores.sql.engine import Tx
from runyard.stores.sql.run_reads import fetch_in, loaded_value

LM = schema.logged_models
LMT = schema.logged_model_tags
LMP = schema.logged_model_params
LMM = schema.logged_model_metrics
MAX_MODEL_ID_LENGTH = 36  # "m-" + 32 hex digits fits with room; MLflow's column is 36 wide
_CHUNK = 512
_new_metric = tuple.__new__

MODEL_COLUMNS = (LM.c.model_id, LM.c.experiment_id, LM.c.name, LM.c.artifact_location, LM.c.creation_timestamp,
                 LM.c.last_updated_timestamp, LM.c.status, LM.c.model_type, LM.c.source_run_id,
                 LM.c.status_message, LM.c.lifecycle_stage)


def not_found(model_id: str) -> ResourceDoesNotExist:
    return ResourceDoesNotExist(f"Logged model with ID '{model_id}' not found.")


def checked_model_id(model_id: Any, field: str = "model_id") -> str:
    """A model id as given: a non-empty string of at most 36 characters."""
    if not isinstance(model_id, str) or not model_id:
        raise InvalidParameterValue(f"Invalid {field} {model_id!r}: must be a non-empty string")
    if len(model_id) > MAX_MODEL_ID_LENGTH:
        raise InvalidParameterValue(
            f"Invalid {field} '{model_id[:40]}...': length {len(model_id)} exceeds the limit of "
            f"{MAX_MODEL_ID_LENGTH} characters"
        )
    return model_id


def checked_model_ids(models: Iterable[Any], field: str) -> list[str]:
    """Model ids from ``LoggedModelInput``/``LoggedModelOutput`` objects or bare ids, deduplicated."""
    ids = [checked_model_id(model if isinstance(model, str) else getattr(model, "model_id", None),
                            f"{field}[{index}].model_id")
           for index, model in enumerate(models)]
    return list(dict.fromkeys(ids))


def require_models(tx: Tx, model_ids: Sequence[str]) -> None:
    """Raise ResourceDoesNotExist naming the first id that names no logged model (deleted ones count)."""
    found: set[str] = set()
    for start in range(0, len(model_ids), _CHUNK):
        chunk = model_ids[start:start + _CHUNK]
        found.update(row[0] for row in fetch_in(tx, "model_ids", (LM.c.model_id,), LM.c.model_id, chunk))
    for model_id in model_ids:
        if model_id not in found:
            raise not_found(model_id)


def _points_in_order(query: sa.Select) -> sa.Select:
    return query.order_by(LMM.c.model_id, LMM.c.key, LMM.c.step, LMM.c.timestamp)


def _by_model(rows: Iterable[tuple]) -> dict[str, dict[str, str]]:
    grouped: dict[str, dict[str, str]] = {}
    for model_id, key, value in rows:
        grouped.setdefault(model_id, {})[key] = value
    return grouped


def load_logged_models(tx: Tx, model_ids: Sequence[str], allow_deleted: bool = True) -> list[LoggedModel]:
    """Models in the order of ``model_ids`` (missing ones, and deleted ones unless
    ``allow_deleted``, are skipped), each with its tags, params and every metric point."""
    if not model_ids:
        return []
    with gc_paused():
        return _load_logged_models(tx, list(model_ids), allow_deleted)


def _load_logged_models(tx: Tx, model_ids: list[str], allow_deleted: bool) -> list[LoggedModel]:
    kind = tx.db.kind
    rows: dict[str, tuple] = {}
    tags: dict[str, dict[str, str]] = {}
    params: dict[str, dict[str, str]] = {}
    metrics: dict[str, list[Metric]] = {}
    point_columns = (LMM.c.model_id, LMM.c.key, LMM.c.value, LMM.c.timestamp, LMM.c.step, LMM.c.run_uuid,
                     LMM.c.dataset_name, LMM.c.dataset_digest)
    for start in range(0, len(model_ids), _CHUNK):
        chunk = model_ids[start:start + _CHUNK]
        for row in fetch_in(tx, "logged_models", MODEL_COLUMNS, LM.c.model_id, chunk):
            if allow_deleted or row[10] == LifecycleStage.ACTIVE:
                rows[row[0]] = row
        tags.update(_by_model(fetch_in(tx, "logged_model_tags", (LMT.c.model_id, LMT.c.key, LMT.c.value),
                                       LMT.c.model_id, chunk)))
        params.update(_by_model(fetch_in(tx, "logged_model_params", (LMP.c.model_id, LMP.c.key, LMP.c.value),
                                         LMP.c.model_id, chunk)))
        for model_id, key, value, timestamp, step, run_id, dataset_name, dataset_digest in fetch_in(
                tx, "logged_model_metrics", point_columns, LMM.c.model_id, chunk, refine=_points_in_order):
            metrics.setdefault(model_id, []).append(_new_metric(Metric, (
                key, loaded_value(value, kind), timestamp, step, run_id, dataset_name, dataset_digest, model_id)))
    return [_model_from_row(rows[model_id], tags.get(model_id, {}), params.get(model_id, {}),
                            tuple(metrics.get(model_id, ())))
            for model_id in model_ids if model_id in rows]


def _model_from_row(row: tuple, tags: dict[str, str], params: dict[str, str], metrics: tuple[Metric, ...]) -> LoggedModel:
    return LoggedModel(
        model_id=row[0], experiment_id=str(row[1]), name=row[2], artifact_location=row[3],
        creation_timestamp=row[4], last_updated_timestamp=row[5], status=row[6], model_type=row[7],
        source_run_id=row[8], status_message=row[9], tags=tags, params=params, metrics=metrics,
    )


def model_stage(tx: Tx, model_id: str) -> tuple[str, int]:
    """(lifecycle_stage, experiment_id) of a model; ResourceDoesNotExist when there is none."""
    rows = tx.fetch("logged_model_stage", lambda: sa.select(LM.c.lifecycle_stage, LM.c.experiment_id).where(
        LM.c.model_id == sa.bindparam("model_id")), (model_id,))
    if not rows:
        raise not_found(model_id)
    return rows[0][0], rows[0][1]


def checked_text(value: Any, limit: int, field: str) -> str:
    """A required string value of at most ``limit`` characters (no truncation)."""
    if not isinstance(value, str):
        raise InvalidParameterValue(f"Invalid {field} {value!r}: must be a string, got {type(value).__name__}")
    return validation.validate_length(value, limit, field) or value
