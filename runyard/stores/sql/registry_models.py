"""Registered models in the SQL registry: create, update, rename, delete, tags, get, search and
latest versions."""

from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa

from runyard import search, validation
from runyard.entities import PagedList
from runyard.entities.registry import ModelVersion, ModelVersionStage, RegisteredModel, RegisteredModelTag, RegistryAction
from runyard.errors import ResourceAlreadyExists
from runyard.stores.registry import SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT, SEARCH_REGISTERED_MODEL_MAX_RESULTS_LIMIT
from runyard.stores.sql.engine import Database, Tx
from runyard.stores.sql.registry_audit import record
from runyard.stores.sql.registry_checks import (
    MAX_DESCRIPTION_LENGTH,
    checked_name,
    checked_tag,
    checked_text,
    tag_map,
)
from runyard.stores.sql.registry_reads import (
    MV,
    MVT,
    RM,
    RMA,
    RMT,
    latest_version_rows,
    load_models,
    lock_model,
    model_key_of,
    model_not_found,
    now_ms,
    require_model_key,
    versions_from_rows,
    writing,
)
from runyard.stores.sql.registry_search import (
    page_rows,
    registered_model_filter_clauses,
    registered_model_order_clauses,
)

MAX_DEPLOYMENT_JOB_ID_LENGTH = 256


def already_exists(name: str) -> ResourceAlreadyExists:
    return ResourceAlreadyExists(f"Registered Model (name={name}) already exists.")


def write_tags(tx: Tx, table: sa.Table, owner: dict[str, int], tags: dict[str, str]) -> None:
    """Set tags (replacing values of keys already there) on the row ``owner`` names."""
    if not tags:
        return
    tx.execute(table.delete().where(*(table.c[column] == value for column, value in owner.items()),
                                    table.c.key.in_(list(tags))))
    tx.execute(table.insert().values([{**owner, "key": key, "value": value} for key, value in tags.items()]))


class RegisteredModelsMixin:
    db: Database

    def create_registered_model(self, name: str, tags: Sequence[RegisteredModelTag] | None = None,
                                description: str | None = None,
                                deployment_job_id: str | None = None) -> RegisteredModel:
        checked_name(name)
        tags_by_key = tag_map(tags, "registered model tag")
        checked_text(description, MAX_DESCRIPTION_LENGTH, "description")
        deployment_job_id = checked_text(deployment_job_id, MAX_DEPLOYMENT_JOB_ID_LENGTH, "deployment_job_id") or None
        try:
            with writing(self.db) as tx:
                if model_key_of(tx, name) is not None:
                    raise already_exists(name)
                now = now_ms()
                tx.insert("insert_registered_model", RM, {
                    "name": name, "creation_timestamp": now, "last_updated_timestamp": now,
                    "description": description, "deployment_job_id": deployment_job_id, "last_version": 0})
                key = require_model_key(tx, name)
                write_tags(tx, RMT, {"model_key": key}, tags_by_key)
                record(tx, key, name, RegistryAction.CREATE_MODEL, now)
        except self.db.integrity_error:
            raise already_exists(name) from None
        return RegisteredModel(name=name, creation_timestamp=now, last_updated_timestamp=now, description=description,
                               tags=tags_by_key, deployment_job_id=deployment_job_id)

    def update_registered_model(self, name: str, description: str | None,
                                deployment_job_id: str | None = None) -> RegisteredModel:
        checked_name(name)
        checked_text(description, MAX_DESCRIPTION_LENGTH, "description")
        values: dict[str, object] = {"description": description}
        if deployment_job_id is not None:
            values["deployment_job_id"] = checked_text(deployment_job_id, MAX_DEPLOYMENT_JOB_ID_LENGTH,
                                                       "deployment_job_id") or None
        with writing(self.db) as tx:
            key, _ = lock_model(tx, name)
            tx.execute(RM.update().where(RM.c.model_key == key).values(last_updated_timestamp=now_ms(), **values))
            return load_models(tx, [key])[0]

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        checked_name(name)
        checked_name(new_name, "new_name")
        try:
            with writing(self.db) as tx:
                key, _ = lock_model(tx, name)
                if new_name != name:
                    if model_key_of(tx, new_name) is not None:
                        raise already_exists(new_name)
                    now = now_ms()
                    tx.execute(RM.update().where(RM.c.model_key == key).values(name=new_name,
                                                                               last_updated_timestamp=now))
                    tx.execute(MV.update().where(MV.c.model_key == key).values(last_updated_timestamp=now))
                    record(tx, key, name, RegistryAction.RENAME_MODEL, now, from_value=name, to_value=new_name)
                return load_models(tx, [key])[0]
        except self.db.integrity_error:
            raise already_exists(new_name) from None

    def delete_registered_model(self, name: str) -> None:
        checked_name(name)
        with writing(self.db) as tx:
            key, _ = lock_model(tx, name)
            for table in (RMA, MVT, MV, RMT, RM):
                tx.execute(table.delete().where(table.c.model_key == key))
            record(tx, key, name, RegistryAction.DELETE_MODEL, now_ms())

    def get_registered_model(self, name: str) -> RegisteredModel:
        checked_name(name)
        with self.db.transaction() as tx:
            found = load_models(tx, [require_model_key(tx, name)])
        if not found:
            raise model_not_found(name)
        return found[0]

    def search_registered_models(self, filter_string: str | None = None,
                                 max_results: int = SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
                                 order_by: Sequence[str] | None = None,
                                 page_token: str | None = None) -> PagedList[RegisteredModel]:
        comparisons = search.parse_registered_model_filter(filter_string)
        ordering = search.parse_registered_model_order_by(order_by)
        query = (sa.select(RM.c.model_key).where(*registered_model_filter_clauses(comparisons))
                 .order_by(*registered_model_order_clauses(ordering)))
        with self.db.transaction() as tx:
            rows, token = page_rows(tx, query, max_results, page_token, SEARCH_REGISTERED_MODEL_MAX_RESULTS_LIMIT)
            return PagedList(load_models(tx, [row[0] for row in rows]), token)

    def get_latest_versions(self, name: str, stages: Sequence[str] | None = None) -> list[ModelVersion]:
        checked_name(name)
        wanted = [ModelVersionStage.canonical(stage) for stage in stages] if stages else None
        with self.db.transaction() as tx:
            return versions_from_rows(tx, latest_version_rows(tx, [require_model_key(tx, name)], wanted))

    def set_registered_model_tag(self, name: str, tag: RegisteredModelTag) -> None:
        checked_name(name)
        key, value = checked_tag(getattr(tag, "key", None), getattr(tag, "value", None), "registered model tag")
        with writing(self.db) as tx:
            model_key, _ = lock_model(tx, name)
            write_tags(tx, RMT, {"model_key": model_key}, {key: value})

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        checked_name(name)
        validation.validate_key(key, "registered model tag key")
        with writing(self.db) as tx:
            model_key, _ = lock_model(tx, name)
            tx.execute(RMT.delete().where(RMT.c.model_key == model_key, RMT.c.key == key))
