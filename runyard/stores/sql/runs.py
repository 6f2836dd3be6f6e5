"""Runs in the SQL store: create, get, update, delete/restore, search."""

from __future__ import annotations

import time
import uuid
from typing import Sequence

import sqlalchemy as sa

from runyard import naming, search, uris, validation
from runyard.entities import LifecycleStage, PagedList, Run, RunInfo, RunStatus, RunTag, ViewType
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist
from runyard.stores.sql import schema
from runyard.stores.sql.engine import Database, Tx
from runyard.stores.sql.experiments import _experiment_key, require_active_experiment
from runyard.stores.sql.filters import apply_run_filter, apply_run_order, paginate
from runyard.stores.sql.run_reads import RUN_INFO_COLUMNS, load_runs, run_info_from_row

R = schema.runs
E = schema.experiments
T = schema.tags
RUN_NAME_TAG = "mlflow.runName"


def _now() -> int:
    return int(time.time() * 1000)


class RunsMixin:
    db: Database

    def create_run(
        self,
        experiment_id: str,
        user_id: str | None,
        start_time: int | None,
        tags: Sequence[RunTag],
        run_name: str | None,
    ) -> Run:
        exp_key = _experiment_key(experiment_id)
        tag_map = {validation.validate_key(tag.key, "tag key"): validation.tag_value(tag.key, tag.value) for tag in tags or ()}
        if run_name is not None and run_name != "":
            validation.validate_run_name(run_name)
            if tag_map.get(RUN_NAME_TAG, run_name) != run_name:
                raise InvalidParameterValue(
                    f"Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different "
                    f"values (run_name='{run_name}', mlflow.runName='{tag_map[RUN_NAME_TAG]}')."
                )
        else:
            run_name = tag_map.get(RUN_NAME_TAG) or naming.generate_run_name()
        tag_map[RUN_NAME_TAG] = run_name
        start = validation.validate_int64(start_time, "start_time", minimum=0) if start_time is not None else _now()
        run_id = uuid.uuid4().hex
        with self.db.transaction(write=True) as tx:
            require_active_experiment(tx, exp_key, "create run")
            location = tx.query(sa.select(E.c.artifact_location).where(E.c.experiment_id == exp_key))[0][0] or ""
            artifact_uri = uris.append_to_uri_path(location, run_id, "artifacts")
            tx.execute(R.insert().values(
                run_uuid=run_id, name=run_name, experiment_id=exp_key, user_id=user_id or "", status="RUNNING",
                start_time=start, end_time=None, lifecycle_stage=LifecycleStage.ACTIVE, artifact_uri=artifact_uri))
            tx.execute(T.insert().values([{"run_uuid": run_id, "key": k, "value": v} for k, v in tag_map.items()]))
            return load_runs(tx, [run_id])[0]

    def get_run(self, run_id: str) -> Run:
        validation.validate_run_id(run_id)
        with self.db.transaction() as tx:
            found = load_runs(tx, [run_id])
        if not found:
            raise ResourceDoesNotExist(f"Run with id={run_id} not found")
        return found[0]

    def _run_info(self, tx: Tx, run_id: str) -> RunInfo:
        rows = tx.query(sa.select(*RUN_INFO_COLUMNS).where(R.c.run_uuid == run_id))
        if not rows:
            raise ResourceDoesNotExist(f"Run with id={run_id} not found")
        return run_info_from_row(rows[0])

    def update_run_info(
        self, run_id: str, run_status: str | int | None, end_time: int | None, run_name: str | None
    ) -> RunInfo:
        validation.validate_run_id(run_id)
        values: dict = {}
        if run_status is not None:
            values["status"] = RunStatus.normalize(run_status)
        if end_time is not None:
            values["end_time"] = validation.validate_int64(end_time, "end_time", minimum=0)
        if run_name:
            values["name"] = validation.validate_run_name(run_name)
        with self.db.transaction(write=True) as tx:
            info = self._run_info(tx, run_id)
            if info.lifecycle_stage != LifecycleStage.ACTIVE:
                raise InvalidParameterValue(
                    f"The run {run_id} must be in the 'active' state. Current state is {info.lifecycle_stage}."
                )
            if values:
                tx.execute(R.update().where(R.c.run_uuid == run_id).values(**values))
            if run_name:
                tx.execute(T.delete().where(T.c.run_uuid == run_id, T.c.key == RUN_NAME_TAG))
                tx.execute(T.insert().values(run_uuid=run_id, key=RUN_NAME_TAG, value=run_name))
            return self._run_info(tx, run_id)

    def _move_run(self, run_id: str, to_stage: str) -> None:
        validation.validate_run_id(run_id)
        deleted_time = _now() if to_stage == LifecycleStage.DELETED else None
        with self.db.transaction(write=True) as tx:
            self._run_info(tx, run_id)
            tx.execute(R.update().where(R.c.run_uuid == run_id).values(lifecycle_stage=to_stage, deleted_time=deleted_time))

    def delete_run(self, run_id: str) -> None:
        self._move_run(run_id, LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        self._move_run(run_id, LifecycleStage.ACTIVE)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        if isinstance(experiment_ids, (str, int)):
            experiment_ids = [experiment_ids]
        keys = []
        for experiment_id in experiment_ids or ():
            try:
                keys.append(_experiment_key(experiment_id))
            except ResourceDoesNotExist:
                continue  # a non-numeric id names no experiment here: nothing to find
        view = ViewType.normalize(run_view_type)
        comparisons = search.parse_run_filter(filter_string)
        ordering = search.parse_run_order_by(order_by)
        query = sa.select(R.c.run_uuid).where(
            R.c.experiment_id.in_(keys), R.c.lifecycle_stage.in_(LifecycleStage.stages_for(view)))
        query = apply_run_order(apply_run_filter(query, comparisons), ordering)
        with self.db.transaction() as tx:
            ids, token = paginate(tx, query, max_results, page_token, limit=50000)
            return PagedList(load_runs(tx, ids), token)
