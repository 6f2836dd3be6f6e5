"""The registry's audit trail: events written in the transaction of the change they record, the
history of a model name, and "which version held this stage (or alias) at time T" replayed from it.

An event belongs to a model (its surrogate key, stable across renames) and carries the model's
name at the time (a rename is recorded under the old name). The history of a name is the whole
life of every model that has borne it: the one that bears it now (its events under earlier names
included), deleted predecessors, and models renamed away since (their later events included, each
under the name it then had).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import sqlalchemy as sa

from runyard import config, validation
from runyard.entities.registry import ModelVersionStage, RegistryAction, RegistryEvent
from runyard.errors import InvalidParameterValue
from runyard.stores.registry import acting_user
from runyard.stores.sql import schema
from runyard.stores.sql.engine import Database, Tx
from runyard.stores.sql.registry_checks import checked_alias, checked_name
from runyard.stores.sql.registry_reads import model_key_of, model_not_found

EV = schema.registry_events
_EVENT_COLUMNS = (EV.c.event_id, EV.c.model_key, EV.c.name, EV.c.action, EV.c.timestamp, EV.c.user_id,
                  EV.c.version, EV.c.key, EV.c.from_value, EV.c.to_value)


def acting_user_name() -> str:
    """Who is acting: the server's per-request user, else the local user."""
    return acting_user.get() or config.current_user()


def record(tx: Tx, model_key: int, name: str, action: str, timestamp: int, *, version: int | None = None,
           key: str | None = None, from_value: Any = None, to_value: Any = None) -> None:
    """Write one audit event (inside the transaction of the change it records)."""
    tx.insert("insert_registry_event", EV, {
        "model_key": model_key, "name": name, "action": action, "timestamp": timestamp,
        "user_id": acting_user_name()[:256], "version": version, "key": key,
        "from_value": None if from_value is None else str(from_value),
        "to_value": None if to_value is None else str(to_value),
    })


def _event(row: Sequence[Any]) -> RegistryEvent:
    return RegistryEvent(event_id=row[0], name=row[2], action=row[3], timestamp=row[4], user_id=row[5],
                         version=None if row[6] is None else str(row[6]), key=row[7], from_value=row[8],
                         to_value=row[9])


def _bound(value: Any, field_name: str) -> int | None:
    return None if value is None else validation.validate_int64(value, field_name)


def _event_rows(tx: Tx, name: str, since: int | None, until: int | None) -> list[tuple]:
    """Events of every model that has borne ``name``, in order. A model renamed to ``name`` and
    then renamed away or deleted recorded that last step under ``name``; one still bearing it is
    the current holder: so the models are those with an event under ``name`` plus the holder."""
    keys = {row[0] for row in tx.query(sa.select(EV.c.model_key).where(EV.c.name == name).distinct())}
    current = model_key_of(tx, name)
    if current is not None:
        keys.add(current)
    if not keys:
        raise model_not_found(name)
    query = sa.select(*_EVENT_COLUMNS).where(EV.c.model_key.in_(sorted(keys)))
    if since is not None:
        query = query.where(EV.c.timestamp >= since)
    if until is not None:
        query = query.where(EV.c.timestamp <= until)
    return tx.query(query.order_by(EV.c.event_id))


@dataclass
class _ModelState:
    name: str
    alive: bool = True
    stages: dict[int, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)


def _apply(states: dict[int, _ModelState], row: Sequence[Any]) -> None:
    model_key, name, action, version, key, to_value = row[1], row[2], row[3], row[6], row[7], row[9]
    if action == RegistryAction.CREATE_MODEL:
        states[model_key] = _ModelState(name)
        return
    # The model's earlier life may lie outside the replayed events (named otherwise then).
    state = states.setdefault(model_key, _ModelState(name))
    if action == RegistryAction.RENAME_MODEL:
        state.name = to_value
    elif action == RegistryAction.DELETE_MODEL:
        state.alive = False
        state.stages.clear()
        state.aliases.clear()
    elif action == RegistryAction.CREATE_VERSION:
        state.stages[version] = to_value or ModelVersionStage.NONE
    elif action == RegistryAction.TRANSITION_STAGE:
        state.stages[version] = to_value
    elif action == RegistryAction.DELETE_VERSION:
        state.stages.pop(version, None)
        state.aliases = {alias: held for alias, held in state.aliases.items() if held != version}
    elif action == RegistryAction.SET_ALIAS:
        state.aliases[key] = int(to_value)
    elif action == RegistryAction.DELETE_ALIAS:
        state.aliases.pop(key, None)


def version_at(rows: Sequence[Sequence[Any]], name: str, stage: str | None, alias: str | None) -> str | None:
    """Replay ``rows`` (events up to T, in order) and answer for the model named ``name`` then."""
    states: dict[int, _ModelState] = {}
    for row in rows:
        _apply(states, row)
    holder = next((s for s in states.values() if s.alive and s.name == name), None)
    if holder is None:
        return None
    if alias is not None:
        held = holder.aliases.get(alias)
        return None if held is None else str(held)
    in_stage = [version for version, current in holder.stages.items() if current == stage]
    return str(max(in_stage)) if in_stage else None


class RegistryAuditMixin:
    db: Database

    def get_registry_history(self, name: str, since: int | None = None,
                             until: int | None = None) -> list[RegistryEvent]:
        checked_name(name)
        since, until = _bound(since, "since"), _bound(until, "until")
        with self.db.transaction() as tx:
            return [_event(row) for row in _event_rows(tx, name, since, until)]

    def get_version_at(self, name: str, timestamp: int, *, stage: str | None = None,
                       alias: str | None = None) -> str | None:
        checked_name(name)
        timestamp = validation.validate_int64(timestamp, "timestamp")
        if (stage is None) == (alias is None):
            raise InvalidParameterValue("get_version_at needs exactly one of 'stage' or 'alias'")
        if stage is not None:
            stage = ModelVersionStage.canonical(stage)
        else:
            alias = checked_alias(alias, reserved_too=False)
        with self.db.transaction() as tx:
            rows = _event_rows(tx, name, None, timestamp)
        return version_at(rows, name, stage, alias)
