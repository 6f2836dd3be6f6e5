"""Writing to runs: metrics (history + latest), params (immutable), tags, dataset inputs."""

from __future__ import annotations

import math
import uuid
from typing import Sequence

import sqlalchemy as sa

from runyard import search, validation
from runyard.entities import DatasetInput, LifecycleStage, LoggedModelInput, Metric, PagedList, Param, RunTag
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist
from runyard.memory import gc_paused
from runyard.stores.sql import schema
from runyard.stores.sql.engine import Database, Tx
from runyard.stores.sql.logged_model_reads import MAX_MODEL_ID_LENGTH, checked_model_ids, require_models
from runyard.stores.sql.run_reads import loaded_value, stored_value
from runyard.stores.sql.statements import Statements

R = schema.runs
P = schema.params
T = schema.tags
RUN_NAME_TAG = "mlflow.runName"
_new_metric = tuple.__new__


_INT64_MAX = validation.INT64_MAX
_INT64_MIN = validation.INT64_MIN


def _newer(a: tuple, b: tuple) -> bool:
    """Whether latest-metric row ``a`` (run, key, value, ts, step) beats ``b``."""
    if a[4] != b[4]:
        return a[4] > b[4]
    if a[3] != b[3]:
        return a[3] > b[3]
    return (a[2] if a[2] is not None else -math.inf) > (b[2] if b[2] is not None else -math.inf)


def _history(key: str, rows: list[tuple], kind: str) -> list[Metric]:
    """Metric tuples from (value, timestamp, step) rows, NaN arriving as NULL.

    The collector is paused while the points are allocated: with it running, a million-point
    history spends more time in collections than in building the tuples.
    """
    new, nan = _new_metric, math.nan
    with gc_paused():
        if kind == "mysql":
            return [new(Metric, (key, loaded_value(v, kind), t, s, None, None, None, None)) for v, t, s in rows]
        return [new(Metric, (key, nan if v is None else v, t, s, None, None, None, None)) for v, t, s in rows]


def _model_metric_row(run_id: str, metric: Metric, value: float | None) -> tuple:
    """A ``logged_model_metrics`` row (``MODEL_METRIC_COLUMNS`` order) for a point logged with a model_id."""
    model_id, dataset_name, dataset_digest = metric[7], metric[5], metric[6]
    validation.validate_length(model_id, MAX_MODEL_ID_LENGTH, "metric model_id", required=True)
    validation.validate_length(dataset_name, validation.MAX_DATASET_NAME_LENGTH, "metric dataset_name")
    validation.validate_length(dataset_digest, validation.MAX_DATASET_DIGEST_LENGTH, "metric dataset_digest")
    return (model_id, metric[0], metric[2], metric[3], run_id, value, dataset_name or None, dataset_digest or None)


class RunLoggingMixin:
    db: Database
    sql: Statements

    def _require_active_run(self, tx: Tx, run_id: str) -> None:
        row = tx.run(self.sql.run_stage, (run_id,)).fetchone()
        if row is None:
            validation.validate_run_id(run_id)
            raise ResourceDoesNotExist(f"Run with id={run_id} not found")
        if row[0] != LifecycleStage.ACTIVE:
            raise InvalidParameterValue(
                f"The run {run_id} must be in the 'active' state. Current state is {row[0]}."
            )

    def log_metric(self, run_id: str, metric: Metric) -> None:
        self.log_batch(run_id, metrics=(metric,))

    def _metric_rows(self, run_id: str, metrics: Sequence[Metric]) -> tuple[list[tuple], list[tuple], list[tuple]]:
        """History rows, one latest-value row per key, and rows for points logged with a model_id.
        The common case (a float or int value, int64 step and timestamp, a key seen before) is
        checked inline: this loop runs for every point logged; anything else goes through the
        full validator."""
        mysql = self.db.kind == "mysql"
        known = validation.known_keys("metric name")
        rows = []
        model_rows = []
        latest: dict[str, tuple] = {}
        for metric in metrics:
            if type(metric) is not Metric:
                metric = Metric(metric.key, metric.value, metric.timestamp, metric.step, None,
                                getattr(metric, "dataset_name", None), getattr(metric, "dataset_digest", None),
                                getattr(metric, "model_id", None))
            key, value, timestamp, step = metric[0], metric[1], metric[2], metric[3]
            kind = type(value)
            if not ((kind is float or kind is int) and type(timestamp) is int and type(step) is int
                    and 0 <= timestamp <= _INT64_MAX and _INT64_MIN <= step <= _INT64_MAX and key in known):
                value = validation.validate_metric(key, value, timestamp, step)
            elif kind is int:
                value = float(value)
            if value != value:
                rows.append((run_id, key, 0.0, 1, timestamp, step))
                row = (run_id, key, None, timestamp, step)
            else:
                if mysql:
                    value = stored_value(value, "mysql")
                rows.append((run_id, key, value, 0, timestamp, step))
                row = (run_id, key, value, timestamp, step)
            if metric[7]:
                model_rows.append(_model_metric_row(run_id, metric, row[2]))
            best = latest.get(key)
            if best is None or _newer(row, best):
                latest[key] = row
        return rows, list(latest.values()), model_rows

    @staticmethod
    def _param_rows(params: Sequence[Param]) -> dict[str, str]:
        wanted: dict[str, str] = {}
        for param in params:
            key = validation.validate_key(param.key, "param name")
            value = validation.param_value(key, param.value)
            if wanted.get(key, value) != value:
                raise InvalidParameterValue(
                    f"Duplicate parameter keys have been submitted: param '{key}' appears with different values "
                    f"in one batch ({wanted[key]!r} and {value!r})"
                )
            wanted[key] = value
        return wanted

    def _log_params(self, tx: Tx, run_id: str, wanted: dict[str, str]) -> None:
        existing = dict(tx.fetch("run_params", lambda: sa.select(P.c.key, P.c.value).where(
            P.c.run_uuid == sa.bindparam("run_uuid")), (run_id,)))
        for key, value in wanted.items():
            old = existing.get(key)
            if old is not None and old != value:
                raise InvalidParameterValue(
                    f"Changing param values is not allowed. Param with key='{key}' was already logged with "
                    f"value='{old}' for run ID='{run_id}'. Attempted logging new value '{value}'."
                )
        self.sql.params.write(tx, [(run_id, k, v) for k, v in wanted.items() if k not in existing])

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        validation.validate_batch_sizes(metrics, params, tags)
        metric_rows, latest_rows, model_rows = self._metric_rows(run_id, metrics)
        wanted_params = self._param_rows(params)
        tag_rows = {validation.validate_key(t.key, "tag key"): validation.tag_value(t.key, t.value) for t in tags}
        for attempt in range(3):
            try:
                with self.db.transaction(write=True) as tx:
                    self._require_active_run(tx, run_id)
                    if wanted_params:
                        self._log_params(tx, run_id, wanted_params)
                    self.sql.metrics.write(tx, metric_rows)
                    self.sql.latest_metrics.write(tx, latest_rows)
                    if model_rows:
                        self.sql.model_metrics.write(tx, model_rows)
                    self.sql.tags.write(tx, [(run_id, k, v) for k, v in tag_rows.items()])
                    if RUN_NAME_TAG in tag_rows:
                        tx.execute(R.update().where(R.c.run_uuid == run_id).values(name=tag_rows[RUN_NAME_TAG]))
                return
            except self.db.integrity_error:
                # Another writer inserted one of our params first; the next attempt compares values.
                if attempt == 2:
                    raise

    def delete_tag(self, run_id: str, key: str) -> None:
        with self.db.transaction(write=True) as tx:
            self._require_active_run(tx, run_id)
            if tx.execute(T.delete().where(T.c.run_uuid == run_id, T.c.key == key)) == 0:
                raise ResourceDoesNotExist(f"No tag with name: {key} in run with id {run_id}")

    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        validation.validate_run_id(run_id)
        with self.db.transaction() as tx:
            rows = tx.run(self.sql.metric_history, (run_id, metric_key)).fetchall()
            if not rows and not tx.run(self.sql.run_stage, (run_id,)).fetchone():
                raise ResourceDoesNotExist(f"Run with id={run_id} not found")
        offset = search.decode_page_token(page_token)
        token = None
        if max_results is not None:
            validation.validate_max_results(max_results, limit=2**31 - 1)
            if offset + max_results < len(rows):
                token = search.encode_page_token(offset + max_results)
            rows = rows[offset:offset + max_results]
        elif offset:
            rows = rows[offset:]
        return PagedList(_history(metric_key, rows, self.db.kind), token)

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] | None = None,
        models: Sequence[LoggedModelInput | str] | None = None,
    ) -> None:
        checked = [self._checked_input(item) for item in datasets or ()]
        model_ids = checked_model_ids(models or (), "models")
        with self.db.transaction(write=True) as tx:
            self._require_active_run(tx, run_id)
            if checked:
                experiment_id = tx.query(sa.select(R.c.experiment_id).where(R.c.run_uuid == run_id))[0][0]
                for item in checked:
                    self._log_one_input(tx, run_id, experiment_id, item)
            if model_ids:
                require_models(tx, model_ids)
                self.sql.model_inputs.write(tx, [(run_id, model_id) for model_id in model_ids])

    @staticmethod
    def _checked_input(item: DatasetInput) -> DatasetInput:
        ds = item.dataset
        validation.validate_length(ds.name, validation.MAX_DATASET_NAME_LENGTH, "dataset name", required=True)
        validation.validate_length(ds.digest, validation.MAX_DATASET_DIGEST_LENGTH, "dataset digest", required=True)
        validation.validate_length(ds.source_type, 36, "dataset source_type", required=True)
        validation.validate_length(ds.source, validation.MAX_DATASET_SOURCE_LENGTH, "dataset source", required=True)
        validation.validate_length(ds.schema, validation.MAX_DATASET_SCHEMA_LENGTH, "dataset schema")
        validation.validate_length(ds.profile, validation.MAX_DATASET_PROFILE_LENGTH, "dataset profile")
        for tag in item.tags:
            validation.validate_length(tag.key, validation.MAX_INPUT_TAG_KEY_LENGTH, "input tag key", required=True)
            validation.validate_length(tag.value, validation.MAX_INPUT_TAG_VALUE_LENGTH, f"value of input tag '{tag.key}'", required=True)
        return item

    @staticmethod
    def _log_one_input(tx: Tx, run_id: str, experiment_id: int, item: DatasetInput) -> None:
        D, INP, IT = schema.datasets, schema.inputs, schema.input_tags
        ds = item.dataset
        found = tx.query(sa.select(D.c.dataset_uuid).where(
            D.c.experiment_id == experiment_id, D.c.name == ds.name, D.c.digest == ds.digest))
        if found:
            dataset_id = found[0][0]
        else:
            dataset_id = uuid.uuid4().hex
            tx.execute(D.insert().values(dataset_uuid=dataset_id, experiment_id=experiment_id, name=ds.name,
                                         digest=ds.digest, source_type=ds.source_type, source=ds.source,
                                         schema=ds.schema, profile=ds.profile))
        linked = tx.query(sa.select(INP.c.input_uuid).where(
            INP.c.source_type == "DATASET", INP.c.source_id == dataset_id,
            INP.c.destination_type == "RUN", INP.c.destination_id == run_id))
        if linked:
            return
        input_id = uuid.uuid4().hex
        tx.execute(INP.insert().values(input_uuid=input_id, source_type="DATASET", source_id=dataset_id,
                                     destination_type="RUN", destination_id=run_id))
        if item.tags:
            tx.execute(IT.insert().values([{"input_uuid": input_id, "name": t.key, "value": t.value} for t in item.tags]))
