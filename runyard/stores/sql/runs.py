"""Runs in the SQL store: create, get, update, delete/restore, search."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from typing import Sequence

import sqlalchemy as sa

from runyard import naming, search, uris, validation
from runyard.entities import LifecycleStage, PagedList, Run, RunData, RunInfo, RunStatus, RunTable, RunTag, ViewType
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist
from runyard.stores.sql import keyed_order, schema
from runyard.stores.sql.engine import Database, Tx
from runyard.stores.sql.experiments import _experiment_key
from runyard.stores.sql.filters import apply_run_filter, apply_run_order, paginate
from runyard.stores.sql.run_reads import RUN_INFO_COLUMNS, load_run_table, load_runs, run_info_from_row

R = schema.runs
E = schema.experiments
T = schema.tags
RUN_NAME_TAG = "mlflow.runName"
_MAX_RESULTS = 50000
_INFO_FIELDS = {"status": "status", "end_time": "end_time", "name": "run_name"}


def _now() -> int:
    return int(time.time() * 1000)


class RunsMixin:
    db: Database
    # A page sorted by a param or tag (SQLite) walks up to this many entries of the key's value
    # index, or more for later pages, before the plain sort answers instead (keyed_order.py);
    # 0 always sorts.
    sort_walk_budget: int = keyed_order.BUDGET_MIN

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
            found = tx.fetch("experiment_for_run", lambda: sa.select(E.c.lifecycle_stage, E.c.artifact_location).where(
                E.c.experiment_id == sa.bindparam("experiment_id")), (exp_key,))
            if not found:
                raise ResourceDoesNotExist(f"No Experiment with id={experiment_id} exists")
            if found[0][0] != LifecycleStage.ACTIVE:
                raise InvalidParameterValue(
                    f"Cannot create run: experiment {experiment_id} is in lifecycle stage '{found[0][0]}', not 'active'")
            artifact_uri = uris.append_to_uri_path(found[0][1] or "", run_id, "artifacts")
            info = RunInfo(run_id, str(exp_key), run_name, user_id or "", "RUNNING", start, None, artifact_uri,
                           LifecycleStage.ACTIVE)
            tx.insert("insert_run", R, {
                "run_uuid": run_id, "name": run_name, "experiment_id": exp_key, "user_id": info.user_id,
                "status": info.status, "start_time": start, "end_time": None, "lifecycle_stage": info.lifecycle_stage,
                "artifact_uri": artifact_uri})
            self.sql.tags.write(tx, [(run_id, k, v) for k, v in tag_map.items()])
        return Run(info, RunData(tags=tag_map))

    def get_run(self, run_id: str) -> Run:
        validation.validate_run_id(run_id)
        with self.db.transaction() as tx:
            found = load_runs(tx, [run_id])
        if not found:
            raise ResourceDoesNotExist(f"Run with id={run_id} not found")
        return found[0]

    def _run_info(self, tx: Tx, run_id: str) -> RunInfo:
        rows = tx.fetch("run_info", lambda: sa.select(*RUN_INFO_COLUMNS).where(R.c.run_uuid == sa.bindparam("run_uuid")),
                        (run_id,))
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
                columns = tuple(sorted(values))
                tx.change("update_run:" + ",".join(columns), lambda: R.update().where(
                    R.c.run_uuid == sa.bindparam("run_id")).values({c: sa.bindparam(c) for c in columns}),
                    {**values, "run_id": run_id})
            if run_name:
                self.sql.tags.write(tx, [(run_id, RUN_NAME_TAG, run_name)])
            return replace(info, **{_INFO_FIELDS[c]: v for c, v in values.items()})

    def _move_run(self, run_id: str, to_stage: str) -> None:
        validation.validate_run_id(run_id)
        deleted_time = _now() if to_stage == LifecycleStage.DELETED else None
        with self.db.transaction(write=True) as tx:
            changed = tx.change("move_run", lambda: R.update().where(R.c.run_uuid == sa.bindparam("run_id")).values(
                lifecycle_stage=sa.bindparam("stage"), deleted_time=sa.bindparam("deleted_time")),
                {"stage": to_stage, "deleted_time": deleted_time, "run_id": run_id})
            if changed == 0:
                raise ResourceDoesNotExist(f"Run with id={run_id} not found")

    def delete_run(self, run_id: str) -> None:
        self._move_run(run_id, LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        self._move_run(run_id, LifecycleStage.ACTIVE)

    def _search_run_ids(
        self, tx: Tx, experiment_ids: Sequence[str], filter_string: str | None, run_view_type: int,
        max_results: int, order_by: Sequence[str] | None, page_token: str | None,
    ) -> tuple[list[str], str | None]:
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
        query = apply_run_filter(sa.select(R.c.run_uuid).where(
            R.c.experiment_id.in_(keys), R.c.lifecycle_stage.in_(LifecycleStage.stages_for(view))), comparisons)
        max_results = validation.validate_max_results(max_results, _MAX_RESULTS)
        offset = search.decode_page_token(page_token)
        rows = keyed_order.keyed_page(tx, query, ordering, max_results, offset, self.sort_walk_budget)
        if rows is None:
            return paginate(tx, apply_run_order(query, ordering), max_results, page_token, limit=_MAX_RESULTS)
        token = search.encode_page_token(offset + max_results) if len(rows) > max_results else None
        return [row[0] for row in rows[:max_results]], token

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        with self.db.transaction() as tx:
            ids, token = self._search_run_ids(tx, experiment_ids, filter_string, run_view_type, max_results,
                                              order_by, page_token)
            return PagedList(load_runs(tx, ids), token)

    def search_run_table(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> RunTable:
        with self.db.transaction() as tx:
            ids, token = self._search_run_ids(tx, experiment_ids, filter_string, run_view_type, max_results,
                                              order_by, page_token)
            return load_run_table(tx, ids, token)
