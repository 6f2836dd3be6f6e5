"""MLflow 3 logged models in the SQL store: create, get, finalize, delete, tags, params, search,
and the links from runs to the models they produced."""

from __future__ import annotations

import time
import uuid
from typing import Any, Mapping, Sequence

import sqlalchemy as sa

from runyard import naming, search, uris, validation
from runyard.entities import (
    LifecycleStage,
    LoggedModel,
    LoggedModelOutput,
    LoggedModelParameter,
    LoggedModelStatus,
    LoggedModelTag,
    PagedList,
)
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist
from runyard.stores.sql import schema
from runyard.stores.sql.engine import Database, Tx
from runyard.stores.sql.experiments import _experiment_key
from runyard.stores.sql.filters import logged_model_filter_clauses, logged_model_order_clauses, paginate
from runyard.stores.sql.logged_model_reads import (
    checked_model_id,
    load_logged_models,
    model_stage,
    not_found,
    require_models,
)
from runyard.stores.sql.statements import Statements
from runyard.stores.tracking import (
    SEARCH_LOGGED_MODELS_MAX_RESULTS_DEFAULT,
    SEARCH_LOGGED_MODELS_MAX_RESULTS_LIMIT,
)

E = schema.experiments
R = schema.runs
LM = schema.logged_models
LMT = schema.logged_model_tags
LMP = schema.logged_model_params

MAX_MODEL_NAME_LENGTH = 500
MAX_MODEL_TYPE_LENGTH = 500
MAX_MODEL_TAG_VALUE_LENGTH = 100000
# MLflow's rule: a model name becomes part of paths and URIs.
_BAD_NAME_CHARACTERS = ("/", ":", ".", "%", '"', "'")


def _now() -> int:
    return int(time.time() * 1000)


def _checked_name(name: Any) -> str:
    if not isinstance(name, str) or not name or any(char in name for char in _BAD_NAME_CHARACTERS):
        raise InvalidParameterValue(
            f"Invalid model name ({name!r}) provided. Model name must be a non-empty string and cannot "
            f"contain the following characters: {' '.join(_BAD_NAME_CHARACTERS)}"
        )
    validation.validate_length(name, MAX_MODEL_NAME_LENGTH, "model name")
    return name


def _tag_map(tags: Sequence[LoggedModelTag] | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag in tags or ():
        key = validation.validate_key(getattr(tag, "key", None), "logged model tag key")
        value = tag.value
        if not isinstance(value, str):
            raise InvalidParameterValue(f"Invalid value {value!r} of logged model tag '{key}': must be a string")
        validation.validate_length(value, MAX_MODEL_TAG_VALUE_LENGTH, f"value of logged model tag '{key}'")
        found[key] = value
    return found


def _param_map(params: Sequence[LoggedModelParameter] | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for param in params or ():
        key = validation.validate_key(getattr(param, "key", None), "logged model param key")
        value = validation.param_value(key, param.value)
        if found.get(key, value) != value:
            raise InvalidParameterValue(
                f"Duplicate logged model param keys: '{key}' appears with different values ({found[key]!r} "
                f"and {value!r})"
            )
        found[key] = value
    return found


def _dataset_filters(datasets: Sequence[Mapping[str, Any]] | None) -> list[tuple[str, str | None]]:
    found = []
    for index, dataset in enumerate(datasets or ()):
        if not isinstance(dataset, Mapping):
            raise InvalidParameterValue(
                f"Invalid datasets[{index}] {dataset!r}: expected an object with 'dataset_name' (and "
                f"optionally 'dataset_digest')"
            )
        name, digest = dataset.get("dataset_name"), dataset.get("dataset_digest")
        if not isinstance(name, str) or not name:
            raise InvalidParameterValue(f"Invalid datasets[{index}]: 'dataset_name' must be specified")
        if digest is not None and not isinstance(digest, str):
            raise InvalidParameterValue(f"Invalid datasets[{index}].dataset_digest {digest!r}: must be a string")
        found.append((name, digest or None))
    return found


def _experiment_keys(experiment_ids: Sequence[str] | str | int) -> list[int]:
    if isinstance(experiment_ids, (str, int)):
        experiment_ids = [experiment_ids]  # type: ignore[list-item]
    keys = []
    for experiment_id in experiment_ids or ():
        try:
            keys.append(_experiment_key(experiment_id))
        except ResourceDoesNotExist:
            continue  # a non-numeric id names no experiment here: nothing to find
    return keys


class LoggedModelsMixin:
    db: Database
    sql: Statements

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Sequence[LoggedModelTag] | None = None,
        params: Sequence[LoggedModelParameter] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        exp_key = _experiment_key(experiment_id)
        name = naming.generate_run_name() if name is None else _checked_name(name)
        tag_map, param_map = _tag_map(tags), _param_map(params)
        model_type = validation.validate_length(model_type, MAX_MODEL_TYPE_LENGTH, "model_type") or None
        source_run_id = validation.validate_run_id(source_run_id) if source_run_id else None
        model_id = "m-" + uuid.uuid4().hex
        now = _now()
        with self.db.transaction(write=True) as tx:
            found = tx.fetch("experiment_for_model", lambda: sa.select(E.c.lifecycle_stage, E.c.artifact_location).where(
                E.c.experiment_id == sa.bindparam("experiment_id")), (exp_key,))
            if not found:
                raise ResourceDoesNotExist(f"No Experiment with id={experiment_id} exists")
            if found[0][0] != LifecycleStage.ACTIVE:
                raise InvalidParameterValue(
                    f"Cannot create logged model: experiment {experiment_id} is in lifecycle stage "
                    f"'{found[0][0]}', not 'active'")
            if source_run_id and not tx.run(self.sql.run_stage, (source_run_id,)).fetchone():
                raise ResourceDoesNotExist(f"Run with id={source_run_id} not found")
            artifact_location = uris.append_to_uri_path(found[0][1] or "", "models", model_id, "artifacts")
            tx.insert("insert_logged_model", LM, {
                "model_id": model_id, "experiment_id": exp_key, "name": name, "artifact_location": artifact_location,
                "creation_timestamp": now, "last_updated_timestamp": now, "status": LoggedModelStatus.PENDING,
                "lifecycle_stage": LifecycleStage.ACTIVE, "model_type": model_type, "source_run_id": source_run_id,
                "status_message": None})
            self._write_keyed(tx, LMT, model_id, tag_map)
            self._write_keyed(tx, LMP, model_id, param_map)
        return LoggedModel(model_id, str(exp_key), name, artifact_location, now, now, LoggedModelStatus.PENDING,
                           model_type, source_run_id, None, tag_map, param_map)

    @staticmethod
    def _write_keyed(tx: Tx, table: sa.Table, model_id: str, values: dict[str, str]) -> None:
        if values:
            tx.execute(table.insert().values([{"model_id": model_id, "key": k, "value": v} for k, v in values.items()]))

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        checked_model_id(model_id)
        with self.db.transaction() as tx:
            found = load_logged_models(tx, [model_id], allow_deleted=allow_deleted)
        if not found:
            raise not_found(model_id)
        return found[0]

    def finalize_logged_model(self, model_id: str, status: str | int) -> LoggedModel:
        checked_model_id(model_id)
        value = LoggedModelStatus.from_wire(status)
        with self.db.transaction(write=True) as tx:
            changed = tx.change("finalize_logged_model", lambda: LM.update().where(
                LM.c.model_id == sa.bindparam("id")).values(status=sa.bindparam("status"),
                                                            last_updated_timestamp=sa.bindparam("now")),
                {"status": value, "now": _now(), "id": model_id})
            if changed == 0:
                raise not_found(model_id)
            return load_logged_models(tx, [model_id])[0]

    def delete_logged_model(self, model_id: str) -> None:
        checked_model_id(model_id)
        with self.db.transaction(write=True) as tx:
            changed = tx.change("delete_logged_model", lambda: LM.update().where(
                LM.c.model_id == sa.bindparam("id")).values(lifecycle_stage=sa.bindparam("stage"),
                                                            last_updated_timestamp=sa.bindparam("now")),
                {"stage": LifecycleStage.DELETED, "now": _now(), "id": model_id})
            if changed == 0:
                raise not_found(model_id)

    def set_logged_model_tags(self, model_id: str, tags: Sequence[LoggedModelTag]) -> None:
        checked_model_id(model_id)
        tag_map = _tag_map(tags)
        with self.db.transaction(write=True) as tx:
            model_stage(tx, model_id)
            if tag_map:
                tx.execute(LMT.delete().where(LMT.c.model_id == model_id, LMT.c.key.in_(list(tag_map))))
                self._write_keyed(tx, LMT, model_id, tag_map)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        checked_model_id(model_id)
        with self.db.transaction(write=True) as tx:
            model_stage(tx, model_id)
            if tx.execute(LMT.delete().where(LMT.c.model_id == model_id, LMT.c.key == key)) == 0:
                raise ResourceDoesNotExist(f"No tag with key {key!r} found for model with ID {model_id!r}.")

    def log_logged_model_params(self, model_id: str, params: Sequence[LoggedModelParameter]) -> None:
        checked_model_id(model_id)
        wanted = _param_map(params)
        with self.db.transaction(write=True) as tx:
            model_stage(tx, model_id)
            if not wanted:
                return
            existing = dict(tx.query(sa.select(LMP.c.key, LMP.c.value).where(
                LMP.c.model_id == model_id, LMP.c.key.in_(list(wanted)))))
            for key, value in wanted.items():
                if key in existing and existing[key] != value:
                    raise InvalidParameterValue(
                        f"Changing param values is not allowed. Param with key='{key}' was already logged with "
                        f"value='{existing[key]}' for logged model ID='{model_id}'. Attempted logging new value "
                        f"'{value}'."
                    )
            self._write_keyed(tx, LMP, model_id, {k: v for k, v in wanted.items() if k not in existing})

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Sequence[Mapping[str, Any]] | None = None,
        max_results: int | None = None,
        order_by: Sequence[Mapping[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        dataset_filters = _dataset_filters(datasets)
        comparisons = search.parse_logged_model_filter(filter_string)
        ordering = search.parse_logged_model_order_by(order_by)
        query = sa.select(LM.c.model_id).where(
            LM.c.experiment_id.in_(_experiment_keys(experiment_ids)), LM.c.lifecycle_stage == LifecycleStage.ACTIVE,
            *logged_model_filter_clauses(comparisons, dataset_filters),
        ).order_by(*logged_model_order_clauses(ordering))
        if max_results is None:
            max_results = SEARCH_LOGGED_MODELS_MAX_RESULTS_DEFAULT
        with self.db.transaction() as tx:
            ids, token = paginate(tx, query, max_results, page_token, limit=SEARCH_LOGGED_MODELS_MAX_RESULTS_LIMIT)
            return PagedList(load_logged_models(tx, ids), token)

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        rows = []
        for index, model in enumerate(models or ()):
            model_id = checked_model_id(getattr(model, "model_id", None), f"models[{index}].model_id")
            step = validation.validate_int64(getattr(model, "step", None), f"models[{index}].step")
            rows.append((run_id, model_id, step))
        with self.db.transaction(write=True) as tx:
            self._require_active_run(tx, run_id)  # type: ignore[attr-defined]
            if rows:
                require_models(tx, list(dict.fromkeys(row[1] for row in rows)))
                self.sql.model_outputs.write(tx, list(dict.fromkeys(rows)))
