"""Model versions in the SQL registry: create (numbered under the model's lock), update, stage
transitions (archiving the others in the same transaction, promotion rules checked there too),
delete, tags, get, download URI, search and copy."""

from __future__ import annotations

from typing import Any, Sequence

import sqlalchemy as sa

from runyard import search, validation
from runyard.entities import PagedList
from runyard.entities.registry import (
    ModelVersion,
    ModelVersionStage,
    ModelVersionStatus,
    ModelVersionTag,
    RegistryAction,
)
from runyard.errors import InvalidParameterValue, ResourceAlreadyExists
from runyard.stores.promotion import check_promotion
from runyard.stores.registry import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    SEARCH_MODEL_VERSION_MAX_RESULTS_LIMIT,
    PromotionPolicy,
)
from runyard.stores.sql.engine import Database, Tx
from runyard.stores.sql.logged_model_reads import checked_model_id
from runyard.stores.sql.registry_audit import EV, acting_user_name, record
from runyard.stores.sql.registry_checks import (
    MAX_DESCRIPTION_LENGTH,
    MAX_RUN_LINK_LENGTH,
    checked_name,
    checked_run_id,
    checked_tag,
    checked_text,
    checked_version,
    stored_version,
    tag_map,
)
from runyard.stores.sql.registry_models import write_tags
from runyard.stores.sql.registry_reads import (
    MV,
    MVT,
    RM,
    RMA,
    load_version,
    lock_model,
    model_key_of,
    now_ms,
    version_not_found,
    version_query,
    version_stage,
    versions_from_rows,
    writing,
)
from runyard.stores.sql.registry_search import model_version_filter_clauses, model_version_order_clauses, page_rows
from runyard.stores.sql.registry_sources import resolve_source

_ACTIVE_STAGES = (ModelVersionStage.STAGING, ModelVersionStage.PRODUCTION)


def _touch_model(tx: Tx, model_key: int, now: int) -> None:
    tx.execute(RM.update().where(RM.c.model_key == model_key).values(last_updated_timestamp=now))


def _past_stages(tx: Tx, model_key: int, version: int, current: str) -> set[str]:
    """Every stage the version has been in: its first (None), each transition's, its current one."""
    rows = tx.query(sa.select(EV.c.to_value).where(
        EV.c.model_key == model_key, EV.c.version == version, EV.c.action == RegistryAction.TRANSITION_STAGE))
    return {ModelVersionStage.NONE, current, *(row[0] for row in rows)}


def _version_tags(tx: Tx, model_key: int, version: int) -> dict[str, str]:
    return dict(tx.query(sa.select(MVT.c.key, MVT.c.value).where(MVT.c.model_key == model_key,
                                                                    MVT.c.version == version)))


class ModelVersionsMixin:
    db: Database
    artifact_root: str
    promotion_policy: PromotionPolicy | None

    def create_model_version(self, name: str, source: str, run_id: str | None = None,
                             tags: Sequence[ModelVersionTag] | None = None, run_link: str | None = None,
                             description: str | None = None, local_model_path: str | None = None,
                             model_id: str | None = None) -> ModelVersion:
        checked_name(name)
        tags_by_key = tag_map(tags, "model version tag")
        run_id = checked_run_id(run_id)
        model_id = checked_model_id(model_id) if model_id else None
        run_link = checked_text(run_link, MAX_RUN_LINK_LENGTH, "run_link")
        checked_text(description, MAX_DESCRIPTION_LENGTH, "description")
        user = acting_user_name()[:256]
        with writing(self.db) as tx:
            # The lock comes first: the version number and everything read after it are as the
            # previous writer of this model left them.
            key, last_version = lock_model(tx, name)
            resolved = resolve_source(tx, source, run_id, model_id, self.artifact_root)
            now = now_ms()
            version = last_version + 1
            tx.execute(RM.update().where(RM.c.model_key == key).values(last_version=version,
                                                                       last_updated_timestamp=now))
            tx.insert("insert_model_version", MV, {
                "model_key": key, "version": version, "creation_timestamp": now, "last_updated_timestamp": now,
                "description": description, "user_id": user, "current_stage": ModelVersionStage.NONE,
                "source": resolved.source, "storage_location": resolved.storage_location,
                "run_id": resolved.run_id, "run_link": run_link, "status": ModelVersionStatus.READY,
                "status_message": None, "model_id": resolved.model_id})
            write_tags(tx, MVT, {"model_key": key, "version": version}, tags_by_key)
            record(tx, key, name, RegistryAction.CREATE_VERSION, now, version=version,
                   to_value=ModelVersionStage.NONE)
        return ModelVersion(
            name=name, version=str(version), creation_timestamp=now, last_updated_timestamp=now,
            description=description, user_id=user, source=resolved.source, run_id=resolved.run_id,
            tags=tags_by_key, run_link=run_link, model_id=resolved.model_id)

    def update_model_version(self, name: str, version: str, description: str | None) -> ModelVersion:
        checked_name(name)
        number = checked_version(version)
        checked_text(description, MAX_DESCRIPTION_LENGTH, "description")
        with writing(self.db) as tx:
            key, _ = lock_model(tx, name)
            version_stage(tx, key, name, number)
            tx.execute(MV.update().where(MV.c.model_key == key, MV.c.version == number).values(
                description=description, last_updated_timestamp=now_ms()))
            return load_version(tx, key, name, number)

    def transition_model_version_stage(self, name: str, version: str, stage: str,
                                       archive_existing_versions: bool) -> ModelVersion:
        checked_name(name)
        number = checked_version(version)
        target = ModelVersionStage.canonical(stage)
        if archive_existing_versions and target not in _ACTIVE_STAGES:
            raise InvalidParameterValue(
                f"Model version transition cannot archive existing model versions because '{stage}' is not an "
                f"Active stage. Valid stages are {', '.join(_ACTIVE_STAGES)}")
        with writing(self.db) as tx:
            key, _ = lock_model(tx, name)
            current = version_stage(tx, key, name, number)
            check_promotion(self.promotion_policy, name, str(number), target, _version_tags(tx, key, number),
                            _past_stages(tx, key, number, current))
            now = now_ms()
            if archive_existing_versions:
                self._archive_others(tx, key, name, number, target, now)
            tx.execute(MV.update().where(MV.c.model_key == key, MV.c.version == number).values(
                current_stage=target, last_updated_timestamp=now))
            record(tx, key, name, RegistryAction.TRANSITION_STAGE, now, version=number, key=target,
                   from_value=current, to_value=target)
            _touch_model(tx, key, now)
            return load_version(tx, key, name, number)

    @staticmethod
    def _archive_others(tx: Tx, key: int, name: str, number: int, stage: str, now: int) -> None:
        others = [row[0] for row in tx.query(sa.select(MV.c.version).where(
            MV.c.model_key == key, MV.c.current_stage == stage, MV.c.version != number).order_by(MV.c.version))]
        if not others:
            return
        tx.execute(MV.update().where(MV.c.model_key == key, MV.c.version.in_(others)).values(
            current_stage=ModelVersionStage.ARCHIVED, last_updated_timestamp=now))
        for other in others:
            record(tx, key, name, RegistryAction.TRANSITION_STAGE, now, version=other,
                   key=ModelVersionStage.ARCHIVED, from_value=stage, to_value=ModelVersionStage.ARCHIVED)

    def delete_model_version(self, name: str, version: str) -> None:
        checked_name(name)
        number = checked_version(version)
        with writing(self.db) as tx:
            key, _ = lock_model(tx, name)
            stage = version_stage(tx, key, name, number)
            now = now_ms()
            aliases = [row[0] for row in tx.query(sa.select(RMA.c.alias).where(
                RMA.c.model_key == key, RMA.c.version == number).order_by(RMA.c.alias))]
            for alias in aliases:
                record(tx, key, name, RegistryAction.DELETE_ALIAS, now, version=number, key=alias, from_value=number)
            for table in (RMA, MVT, MV):
                tx.execute(table.delete().where(table.c.model_key == key, table.c.version == number))
            record(tx, key, name, RegistryAction.DELETE_VERSION, now, version=number, from_value=stage)
            _touch_model(tx, key, now)

    def get_model_version(self, name: str, version: str) -> ModelVersion:
        checked_name(name)
        number = checked_version(version)
        with self.db.transaction() as tx:
            key = model_key_of(tx, name)
            if key is None:
                raise version_not_found(name, version)
            return load_version(tx, key, name, number)

    def get_model_version_download_uri(self, name: str, version: str) -> str:
        checked_name(name)
        number = checked_version(version)
        with self.db.transaction() as tx:
            rows = [] if not stored_version(number) else tx.query(
                sa.select(MV.c.storage_location).select_from(MV.join(RM, RM.c.model_key == MV.c.model_key))
                .where(RM.c.name == name, MV.c.version == number))
        if not rows:
            raise version_not_found(name, version)
        return rows[0][0]

    def search_model_versions(self, filter_string: str | None = None,
                              max_results: int = SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
                              order_by: Sequence[str] | None = None,
                              page_token: str | None = None) -> PagedList[ModelVersion]:
        comparisons = search.parse_model_version_filter(filter_string)
        ordering = search.parse_model_version_order_by(order_by or None)
        query = version_query().where(*model_version_filter_clauses(comparisons))
        if not ordering:
            ordering = search.parse_model_version_order_by(["last_updated_timestamp DESC"])
        query = query.order_by(*model_version_order_clauses(ordering))
        with self.db.transaction() as tx:
            rows, token = page_rows(tx, query, max_results, page_token, SEARCH_MODEL_VERSION_MAX_RESULTS_LIMIT)
            return PagedList(versions_from_rows(tx, rows), token)

    def set_model_version_tag(self, name: str, version: str, tag: ModelVersionTag) -> None:
        checked_name(name)
        number = checked_version(version)
        key_, value = checked_tag(getattr(tag, "key", None), getattr(tag, "value", None), "model version tag")
        with writing(self.db) as tx:
            key, _ = lock_model(tx, name)
            version_stage(tx, key, name, number)
            write_tags(tx, MVT, {"model_key": key, "version": number}, {key_: value})

    def delete_model_version_tag(self, name: str, version: str, key: str) -> None:
        checked_name(name)
        number = checked_version(version)
        validation.validate_key(key, "model version tag key")
        with writing(self.db) as tx:
            model_key, _ = lock_model(tx, name)
            version_stage(tx, model_key, name, number)
            tx.execute(MVT.delete().where(MVT.c.model_key == model_key, MVT.c.version == number, MVT.c.key == key))

    def copy_model_version(self, src_mv: ModelVersion, dst_name: str) -> ModelVersion:
        checked_name(dst_name)
        try:
            self.create_registered_model(dst_name)  # type: ignore[attr-defined]
        except ResourceAlreadyExists:
            pass
        tags: Any = getattr(src_mv, "tags", None) or {}
        return self.create_model_version(
            dst_name, f"models:/{src_mv.name}/{src_mv.version}", run_id=src_mv.run_id,
            tags=[ModelVersionTag(k, v) for k, v in tags.items()], run_link=src_mv.run_link,
            description=src_mv.description, model_id=src_mv.model_id)
