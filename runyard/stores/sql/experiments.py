"""Experiments in the SQL store: create, read, search, rename, delete/restore, tags."""

from __future__ import annotations

import time
from typing import Any, Sequence

import sqlalchemy as sa

from runyard import search, uris, validation
from runyard.entities import Experiment, LifecycleStage, PagedList, RunTag, ViewType
from runyard.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from runyard.stores.sql import schema
from runyard.stores.sql.engine import Database, Tx
from runyard.stores.sql.filters import experiment_filter_clauses, experiment_order_clauses, paginate

E = schema.experiments
ET = schema.experiment_tags
R = schema.runs


def _now() -> int:
    return int(time.time() * 1000)


def _experiment_key(experiment_id: Any) -> int:
    text = validation.validate_experiment_id(experiment_id)
    try:
        return int(text)
    except ValueError:
        raise ResourceDoesNotExist(f"No Experiment with id={text} exists") from None


def require_active_experiment(tx: Tx, experiment_id: int, action: str) -> None:
    """Raise unless the experiment exists and is active (runs and tags need a live experiment)."""
    rows = tx.query(sa.select(E.c.lifecycle_stage).where(E.c.experiment_id == experiment_id))
    if not rows:
        raise ResourceDoesNotExist(f"No Experiment with id={experiment_id} exists")
    if rows[0][0] != LifecycleStage.ACTIVE:
        raise InvalidParameterValue(
            f"Cannot {action}: experiment {experiment_id} is in lifecycle stage '{rows[0][0]}', not 'active'"
        )


class ExperimentsMixin:
    db: Database
    artifact_root: str

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: Sequence[RunTag] | None = None
    ) -> str:
        validation.validate_experiment_name(name)
        tag_rows = [(tag.key, validation.experiment_tag_value(validation.validate_key(tag.key, "experiment tag key"), tag.value))
                    for tag in tags or ()]
        if artifact_location is not None and not isinstance(artifact_location, str):
            raise InvalidParameterValue("Invalid artifact_location: must be a string URI")
        now = _now()
        try:
            with self.db.transaction(write=True) as tx:
                if tx.query(sa.select(E.c.experiment_id).where(E.c.name == name)):
                    raise ResourceAlreadyExists(f"Experiment(name={name}) already exists.")
                tx.execute(E.insert().values(name=name, artifact_location=artifact_location,
                                             lifecycle_stage=LifecycleStage.ACTIVE,
                                             creation_time=now, last_update_time=now))
                experiment_id = tx.query(sa.select(E.c.experiment_id).where(E.c.name == name))[0][0]
                if artifact_location is None:
                    location = uris.append_to_uri_path(self.artifact_root, str(experiment_id))
                    tx.execute(E.update().where(E.c.experiment_id == experiment_id).values(artifact_location=location))
                if tag_rows:
                    tx.execute(ET.insert().values([{"experiment_id": experiment_id, "key": k, "value": v} for k, v in tag_rows]))
        except self.db.integrity_error:
            raise ResourceAlreadyExists(f"Experiment(name={name}) already exists.") from None
        return str(experiment_id)

    def _experiments_by_ids(self, tx: Tx, ids: list[int]) -> list[Experiment]:
        if not ids:
            return []
        rows = tx.query(sa.select(E.c.experiment_id, E.c.name, E.c.artifact_location, E.c.lifecycle_stage,
                                  E.c.creation_time, E.c.last_update_time).where(E.c.experiment_id.in_(ids)))
        tag_rows = tx.query(sa.select(ET.c.experiment_id, ET.c.key, ET.c.value).where(ET.c.experiment_id.in_(ids)))
        tags: dict[int, dict[str, str]] = {}
        for experiment_id, key, value in tag_rows:
            tags.setdefault(experiment_id, {})[key] = value
        by_id = {row[0]: Experiment(str(row[0]), row[1], row[2] or "", row[3], tags.get(row[0], {}), row[4], row[5])
                 for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    def get_experiment(self, experiment_id: str) -> Experiment:
        key = _experiment_key(experiment_id)
        with self.db.transaction() as tx:
            found = self._experiments_by_ids(tx, [key])
        if not found:
            raise ResourceDoesNotExist(f"No Experiment with id={experiment_id} exists")
        return found[0]

    def get_experiment_by_name(self, name: str) -> Experiment:
        if not isinstance(name, str):
            raise InvalidParameterValue(f"Invalid experiment name {name!r}: must be a string")
        with self.db.transaction() as tx:
            rows = tx.query(sa.select(E.c.experiment_id).where(E.c.name == name))
            found = self._experiments_by_ids(tx, [rows[0][0]]) if rows else []
        if not found:
            raise ResourceDoesNotExist(f"Could not find experiment with name '{name}'")
        return found[0]

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        view = ViewType.normalize(view_type)
        comparisons = search.parse_experiment_filter(filter_string)
        ordering = search.parse_experiment_order_by(order_by)
        query = sa.select(E.c.experiment_id).where(E.c.lifecycle_stage.in_(LifecycleStage.stages_for(view)))
        query = query.where(*experiment_filter_clauses(comparisons))
        query = query.order_by(*experiment_order_clauses(ordering))
        with self.db.transaction() as tx:
            ids, token = paginate(tx, query, max_results, page_token, limit=50000)
            return PagedList(self._experiments_by_ids(tx, ids), token)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        validation.validate_experiment_name(new_name)
        key = _experiment_key(experiment_id)
        try:
            with self.db.transaction(write=True) as tx:
                require_active_experiment(tx, key, "rename experiment")
                clash = tx.query(sa.select(E.c.experiment_id).where(E.c.name == new_name))
                if clash and clash[0][0] != key:
                    raise ResourceAlreadyExists(f"Experiment(name={new_name}) already exists.")
                tx.execute(E.update().where(E.c.experiment_id == key).values(name=new_name, last_update_time=_now()))
        except self.db.integrity_error:
            raise ResourceAlreadyExists(f"Experiment(name={new_name}) already exists.") from None

    def _move_experiment(self, experiment_id: str, to_stage: str) -> None:
        key = _experiment_key(experiment_id)
        from_stage = LifecycleStage.DELETED if to_stage == LifecycleStage.ACTIVE else LifecycleStage.ACTIVE
        now = _now()
        with self.db.transaction(write=True) as tx:
            rows = tx.query(sa.select(E.c.lifecycle_stage).where(E.c.experiment_id == key))
            if not rows:
                raise ResourceDoesNotExist(f"No Experiment with id={experiment_id} exists")
            if rows[0][0] != from_stage:
                raise InvalidParameterValue(
                    f"Cannot move experiment {experiment_id} to '{to_stage}': it is '{rows[0][0]}'"
                )
            tx.execute(E.update().where(E.c.experiment_id == key).values(lifecycle_stage=to_stage, last_update_time=now))
            tx.execute(R.update().where(R.c.experiment_id == key, R.c.lifecycle_stage == from_stage).values(
                lifecycle_stage=to_stage, deleted_time=now if to_stage == LifecycleStage.DELETED else None))

    def delete_experiment(self, experiment_id: str) -> None:
        self._move_experiment(experiment_id, LifecycleStage.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        self._move_experiment(experiment_id, LifecycleStage.ACTIVE)

    def set_experiment_tag(self, experiment_id: str, tag: RunTag) -> None:
        key = validation.validate_key(tag.key, "experiment tag key")
        value = validation.experiment_tag_value(key, tag.value)
        exp = _experiment_key(experiment_id)
        with self.db.transaction(write=True) as tx:
            require_active_experiment(tx, exp, "set tag")
            tx.execute(ET.delete().where(ET.c.experiment_id == exp, ET.c.key == key))
            tx.execute(ET.insert().values(experiment_id=exp, key=key, value=value))

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        exp = _experiment_key(experiment_id)
        with self.db.transaction(write=True) as tx:
            require_active_experiment(tx, exp, "delete tag")
            if tx.execute(ET.delete().where(ET.c.experiment_id == exp, ET.c.key == key)) == 0:
                raise ResourceDoesNotExist(f"No tag with name: {key} in experiment with id {experiment_id}")
