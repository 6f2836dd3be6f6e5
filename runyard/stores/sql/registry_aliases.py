"""Registered model aliases in the SQL registry: set (moves an existing alias), delete, resolve.

An alias is one row keyed by (model, alias), so it has exactly one holder whatever runs at once;
setting and deleting take the model's lock, so the audit trail records each move from the version
that really held the alias."""

from __future__ import annotations

import sqlalchemy as sa

from runyard.entities.registry import ModelVersion, RegistryAction
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist
from runyard.stores.sql.engine import Database, Tx
from runyard.stores.sql.registry_audit import record
from runyard.stores.sql.registry_checks import checked_alias, checked_name, checked_version
from runyard.stores.sql.registry_reads import (
    RMA,
    latest_version_rows,
    load_version,
    lock_model,
    now_ms,
    require_model_key,
    version_stage,
    writing,
)


def _holder(tx: Tx, model_key: int, alias: str) -> int | None:
    rows = tx.fetch("alias_holder", lambda: sa.select(RMA.c.version).where(
        RMA.c.model_key == sa.bindparam("key"), RMA.c.alias == sa.bindparam("alias")), (model_key, alias))
    return rows[0][0] if rows else None


class RegistryAliasesMixin:
    db: Database

    def set_registered_model_alias(self, name: str, alias: str, version: str) -> None:
        checked_name(name)
        checked_alias(alias)
        number = checked_version(version)
        with writing(self.db) as tx:
            key, _ = lock_model(tx, name)
            version_stage(tx, key, name, number)
            previous = _holder(tx, key, alias)
            if previous is None:
                tx.insert("insert_alias", RMA, {"model_key": key, "alias": alias, "version": number})
            elif previous != number:
                tx.execute(RMA.update().where(RMA.c.model_key == key, RMA.c.alias == alias).values(version=number))
            record(tx, key, name, RegistryAction.SET_ALIAS, now_ms(), version=number, key=alias,
                   from_value=previous, to_value=number)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        checked_name(name)
        checked_alias(alias, reserved_too=False)
        with writing(self.db) as tx:
            key, _ = lock_model(tx, name)
            previous = _holder(tx, key, alias)
            if previous is None:
                return
            tx.execute(RMA.delete().where(RMA.c.model_key == key, RMA.c.alias == alias))
            record(tx, key, name, RegistryAction.DELETE_ALIAS, now_ms(), version=previous, key=alias,
                   from_value=previous)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        checked_name(name)
        checked_alias(alias, reserved_too=False)
        with self.db.transaction() as tx:
            key = require_model_key(tx, name)
            if alias.lower() == "latest":
                latest = max((row[2] for row in latest_version_rows(tx, [key])), default=None)
                if latest is None:
                    raise ResourceDoesNotExist(f"Latest version not found for model {name}.")
                return load_version(tx, key, name, latest)
            held = _holder(tx, key, alias)
            if held is None:
                # MLflow's answer (and code) for an alias that is not set.
                raise InvalidParameterValue(f"Registered model alias {alias} not found.")
            return load_version(tx, key, name, held)
