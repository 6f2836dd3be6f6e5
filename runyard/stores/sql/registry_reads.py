"""Reading the registry: the per-model lock, and registered models and versions loaded in bulk with
their tags, aliases and latest versions."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Sequence

import sqlalchemy as sa

from runyard.entities.registry import ModelVersion, ModelVersionStage, RegisteredModel
from runyard.errors import ResourceDoesNotExist
from runyard.memory import gc_paused
from runyard.stores.sql import schema
from runyard.stores.sql.engine import Database, Tx
from runyard.stores.sql.registry_checks import stored_version

RM = schema.registered_models
RMT = schema.registered_model_tags
MV = schema.model_versions
MVT = schema.model_version_tags
RMA = schema.registered_model_aliases
_CHUNK = 500
_STAGE_ORDER = {stage: index for index, stage in enumerate(ModelVersionStage.ALL)}

VERSION_COLUMNS = (RM.c.name, MV.c.model_key, MV.c.version, MV.c.creation_timestamp, MV.c.last_updated_timestamp,
                   MV.c.description, MV.c.user_id, MV.c.current_stage, MV.c.source, MV.c.run_id, MV.c.run_link,
                   MV.c.status, MV.c.status_message, MV.c.model_id)
MODEL_COLUMNS = (RM.c.model_key, RM.c.name, RM.c.creation_timestamp, RM.c.last_updated_timestamp,
                 RM.c.description, RM.c.deployment_job_id)


def now_ms() -> int:
    return int(time.time() * 1000)


def model_not_found(name: str) -> ResourceDoesNotExist:
    return ResourceDoesNotExist(f"Registered Model with name={name} not found")


def version_not_found(name: str, version: Any) -> ResourceDoesNotExist:
    return ResourceDoesNotExist(f"Model Version (name={name}, version={version}) not found")


@contextmanager
def writing(db: Database) -> Iterator[Tx]:
    """A write transaction. On MySQL/MariaDB at READ COMMITTED: every read after the model lock sees
    what the previous holder committed, and InnoDB takes no gap locks that could make two models'
    writers deadlock. (SQLite serialises writers with BEGIN IMMEDIATE; PostgreSQL already reads
    committed data.)"""
    with db.transaction(write=True) as tx:
        if db.kind == "mysql":
            tx.cursor.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        yield tx


def lock_model(tx: Tx, name: str) -> tuple[int, int]:
    """(model_key, last_version) of model ``name``, its row locked until the transaction ends.

    Every change to a model's versions, stages and aliases takes this lock first, so those changes
    are serialised per model (SQLite: the whole write transaction is, by BEGIN IMMEDIATE).
    """
    rows = tx.fetch("lock_registered_model", lambda: sa.select(RM.c.model_key, RM.c.last_version).where(
        RM.c.name == sa.bindparam("name")).with_for_update(), (name,))
    if not rows:
        raise model_not_found(name)
    return rows[0][0], rows[0][1]


def model_key_of(tx: Tx, name: str) -> int | None:
    rows = tx.fetch("registered_model_key", lambda: sa.select(RM.c.model_key).where(
        RM.c.name == sa.bindparam("name")), (name,))
    return rows[0][0] if rows else None


def require_model_key(tx: Tx, name: str) -> int:
    key = model_key_of(tx, name)
    if key is None:
        raise model_not_found(name)
    return key


def version_stage(tx: Tx, model_key: int, name: str, version: int) -> str:
    """The current stage of a version; ResourceDoesNotExist when there is no such version."""
    rows = [] if not stored_version(version) else tx.fetch(
        "model_version_stage", lambda: sa.select(MV.c.current_stage).where(
            MV.c.model_key == sa.bindparam("key"), MV.c.version == sa.bindparam("version")), (model_key, version))
    if not rows:
        raise version_not_found(name, version)
    return rows[0][0]


def version_query() -> sa.Select:
    """Versions with their model's name (columns ``VERSION_COLUMNS``)."""
    return sa.select(*VERSION_COLUMNS).select_from(MV.join(RM, RM.c.model_key == MV.c.model_key))


def load_version(tx: Tx, model_key: int, name: str, version: int) -> ModelVersion:
    rows = [] if not stored_version(version) else tx.query(
        version_query().where(MV.c.model_key == model_key, MV.c.version == version))
    if not rows:
        raise version_not_found(name, version)
    return versions_from_rows(tx, rows)[0]


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def versions_from_rows(tx: Tx, rows: Sequence[Sequence[Any]]) -> list[ModelVersion]:
    """ModelVersions of rows in ``VERSION_COLUMNS`` order, each with its tags and aliases."""
    if not rows:
        return []
    with gc_paused():
        wanted = {(row[1], row[2]) for row in rows}
        keys = sorted({row[1] for row in rows})
        versions = sorted({row[2] for row in rows})
        tags: dict[tuple[int, int], dict[str, str]] = {}
        aliases: dict[tuple[int, int], list[str]] = {}
        for key_chunk in _chunks(keys):
            for version_chunk in _chunks(versions):
                for key, version, tag, value in tx.query(sa.select(MVT.c.model_key, MVT.c.version, MVT.c.key,
                                                                   MVT.c.value).where(
                        MVT.c.model_key.in_(key_chunk), MVT.c.version.in_(version_chunk))):
                    if (key, version) in wanted:
                        tags.setdefault((key, version), {})[tag] = value
            for key, alias, version in tx.query(sa.select(RMA.c.model_key, RMA.c.alias, RMA.c.version).where(
                    RMA.c.model_key.in_(key_chunk)).order_by(RMA.c.alias)):
                if (key, version) in wanted:
                    aliases.setdefault((key, version), []).append(alias)
        return [_version_from_row(row, tags.get((row[1], row[2]), {}), tuple(aliases.get((row[1], row[2]), ())))
                for row in rows]


def _version_from_row(row: Sequence[Any], tags: dict[str, str], aliases: tuple[str, ...]) -> ModelVersion:
    return ModelVersion(
        name=row[0], version=str(row[2]), creation_timestamp=row[3], last_updated_timestamp=row[4],
        description=row[5], user_id=row[6], current_stage=row[7], source=row[8], run_id=row[9],
        run_link=row[10], status=row[11], status_message=row[12], tags=tags, aliases=aliases, model_id=row[13],
    )


def latest_version_rows(tx: Tx, model_keys: Sequence[int], stages: Iterable[str] | None = None) -> list[tuple]:
    """Rows (``VERSION_COLUMNS``) of the highest version per stage of each model, in stage order
    (None, Staging, Production, Archived); only the given stages when ``stages`` is set."""
    found: list[tuple] = []
    stage_list = list(stages) if stages is not None else None
    for chunk in _chunks(list(model_keys)):
        latest = sa.select(MV.c.model_key, MV.c.current_stage, sa.func.max(MV.c.version).label("version")).where(
            MV.c.model_key.in_(chunk))
        if stage_list is not None:
            latest = latest.where(MV.c.current_stage.in_(stage_list))
        latest = latest.group_by(MV.c.model_key, MV.c.current_stage).subquery()
        found += tx.query(version_query().join(latest, sa.and_(
            latest.c.model_key == MV.c.model_key, latest.c.version == MV.c.version)))
    return sorted(found, key=lambda row: (row[1], _STAGE_ORDER.get(row[7], len(_STAGE_ORDER)), row[2]))


def load_models(tx: Tx, model_keys: Sequence[int]) -> list[RegisteredModel]:
    """Registered models in the order of ``model_keys`` with tags, aliases and latest versions."""
    if not model_keys:
        return []
    with gc_paused():
        rows: dict[int, tuple] = {}
        tags: dict[int, dict[str, str]] = {}
        aliases: dict[int, dict[str, str]] = {}
        for chunk in _chunks(list(model_keys)):
            rows.update((row[0], row) for row in tx.query(sa.select(*MODEL_COLUMNS).where(RM.c.model_key.in_(chunk))))
            for key, tag, value in tx.query(sa.select(RMT.c.model_key, RMT.c.key, RMT.c.value).where(
                    RMT.c.model_key.in_(chunk))):
                tags.setdefault(key, {})[tag] = value
            for key, alias, version in tx.query(sa.select(RMA.c.model_key, RMA.c.alias, RMA.c.version).where(
                    RMA.c.model_key.in_(chunk)).order_by(RMA.c.alias)):
                aliases.setdefault(key, {})[alias] = str(version)
        latest: dict[int, list[ModelVersion]] = {}
        latest_rows = latest_version_rows(tx, list(rows))
        for row, version in zip(latest_rows, versions_from_rows(tx, latest_rows)):
            latest.setdefault(row[1], []).append(version)
    return [RegisteredModel(
        name=row[1], creation_timestamp=row[2], last_updated_timestamp=row[3], description=row[4],
        latest_versions=tuple(latest.get(key, ())), tags=tags.get(key, {}), aliases=aliases.get(key, {}),
        deployment_job_id=row[5],
    ) for key in model_keys if (row := rows.get(key)) is not None]

