"""Loading runs with their latest metrics, params, tags and dataset inputs, in bulk."""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Iterable, Sequence

import sqlalchemy as sa

from runyard.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    Metric,
    ModelInput,
    ModelOutput,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunTable,
)
from runyard.memory import gc_paused
from runyard.stores.sql import schema
from runyard.stores.sql.engine import Tx

R = schema.runs
LM = schema.latest_metrics
P = schema.params
T = schema.tags
_CHUNK = 512
_NAN = math.nan
_new_metric = tuple.__new__
MYSQL_DOUBLE_MAX = 1.7976931348623157e308

RUN_INFO_COLUMNS = (R.c.run_uuid, R.c.experiment_id, R.c.name, R.c.user_id, R.c.status, R.c.start_time,
                    R.c.end_time, R.c.artifact_uri, R.c.lifecycle_stage)


def run_info_from_row(row: Sequence) -> RunInfo:
    return RunInfo(row[0], str(row[1]), row[2] or "", row[3] or "", row[4], row[5], row[6], row[7] or "", row[8])


def stored_value(value: float, kind: str) -> float | None:
    """How a metric value is stored: NaN as NULL; infinities clamped on MySQL (no IEEE specials)."""
    if value != value:
        return None
    if kind == "mysql" and math.isinf(value):
        return MYSQL_DOUBLE_MAX if value > 0 else -MYSQL_DOUBLE_MAX
    return value


def loaded_value(value: float | None, kind: str) -> float:
    if value is None:
        return _NAN
    if kind == "mysql" and abs(value) >= MYSQL_DOUBLE_MAX:
        return math.inf if value > 0 else -math.inf
    return value


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def fetch_in(tx: Tx, name: str, columns: Sequence[Any], column: Any, ids: Sequence[Any],
             refine: Callable[[sa.Select], sa.Select] | None = None) -> list[tuple]:
    """``SELECT columns WHERE column IN ids`` through statements cached per power-of-two size.

    Padding the list with repeats of its first id keeps the number of distinct statements (and
    compilations) at ten for any list of up to 512 ids.
    """
    size = 1 << (len(ids) - 1).bit_length()
    padded = list(ids) + [ids[0]] * (size - len(ids))

    def build() -> Any:
        query = sa.select(*columns).where(column.in_([sa.bindparam(f"id_{i}") for i in range(size)]))
        return refine(query) if refine else query

    return tx.fetch(f"{name}:{size}", build, padded)


def _aggregate(kind: str) -> Any:
    """The dialect's aggregate that builds a JSON object from (key, value) rows."""
    return {"sqlite": sa.func.json_group_object, "postgresql": sa.func.json_object_agg}.get(kind, sa.func.JSON_OBJECTAGG)


def _run_columns(kind: str) -> tuple[Any, ...]:
    """Run info plus its params and tags, each aggregated into one JSON object.

    One row per run instead of one per param and tag: the database builds the JSON in C and
    ``json.loads`` parses it in C, far cheaper than a Python tuple for every key of every run.
    Metric values are not aggregated this way: SQLite's JSON writes doubles with 15 digits.
    """
    as_object = _aggregate(kind)
    params = sa.select(as_object(P.c.key, P.c.value)).where(P.c.run_uuid == R.c.run_uuid).scalar_subquery()
    tags = sa.select(as_object(T.c.key, T.c.value)).where(T.c.run_uuid == R.c.run_uuid).scalar_subquery()
    return (*RUN_INFO_COLUMNS, params, tags)


def _json(text: Any, loads: Callable[[str], Any] = json.loads) -> Any:
    if text is None:
        return {}
    return loads(text) if isinstance(text, (str, bytes)) else text


def load_runs(tx: Tx, run_ids: Sequence[str], with_inputs: bool = True) -> list[Run]:
    """Runs in the order of ``run_ids`` (missing ids are skipped)."""
    if not run_ids:
        return []
    with gc_paused():
        return _load_runs(tx, run_ids, with_inputs)


def _load_runs(tx: Tx, run_ids: Sequence[str], with_inputs: bool) -> list[Run]:
    kind = tx.db.kind
    columns = _run_columns(kind)
    metric_columns = (LM.c.run_uuid, LM.c.key, LM.c.value, LM.c.timestamp, LM.c.step)
    rows: list[tuple] = []
    metrics: dict[str, list[Metric]] = {}
    for chunk in _chunks(list(run_ids)):
        rows += fetch_in(tx, "runs_with_data", columns, R.c.run_uuid, chunk)
        for run_id, key, value, timestamp, step in fetch_in(tx, "latest_metrics", metric_columns, LM.c.run_uuid, chunk):
            value = _NAN if value is None else (loaded_value(value, kind) if kind == "mysql" else value)
            metrics.setdefault(run_id, []).append(_new_metric(Metric, (key, value, timestamp, step, None, None, None, None)))
    found = [row[0] for row in rows]
    inputs = load_dataset_inputs(tx, found) if with_inputs else {}
    model_inputs, model_outputs = load_model_links(tx, found) if with_inputs else ({}, {})
    empty_inputs, empty_outputs = RunInputs(), RunOutputs()
    runs: dict[str, Run] = {}
    for row in rows:
        info = run_info_from_row(row)
        run_id = info.run_id
        points = metrics.get(run_id, ())
        data = RunData({m.key: m.value for m in points}, _json(row[9]), _json(row[10]), tuple(points))
        run_inputs = inputs.get(run_id, empty_inputs)
        if run_id in model_inputs:
            run_inputs = RunInputs(run_inputs.dataset_inputs, model_inputs[run_id])
        outputs = RunOutputs(model_outputs[run_id]) if run_id in model_outputs else empty_outputs
        runs[run_id] = Run(info, data, run_inputs, outputs)
    return [runs[run_id] for run_id in run_ids if run_id in runs]


def load_run_table(tx: Tx, run_ids: Sequence[str], token: str | None) -> RunTable:
    """The runs as columns: params and tags arrive as one JSON object per key ({run: value})."""
    with gc_paused():
        return _load_run_table(tx, list(run_ids), token)


def _load_run_table(tx: Tx, run_ids: list[str], token: str | None) -> RunTable:
    kind = tx.db.kind
    as_object = _aggregate(kind)
    table = RunTable(token=token)
    infos: dict[str, tuple] = {}
    metrics = table.metrics
    for chunk in _chunks(run_ids):
        for row in fetch_in(tx, "run_infos", RUN_INFO_COLUMNS, R.c.run_uuid, chunk):
            infos[row[0]] = row
        for name, source, sink in (("params_by_key", P, table.params), ("tags_by_key", T, table.tags)):
            for key, by_run in fetch_in(tx, name, (source.c.key, as_object(source.c.run_uuid, source.c.value)),
                                        source.c.run_uuid, chunk, refine=lambda q, t=source: q.group_by(t.c.key)):
                sink.setdefault(key, {}).update(_json(by_run))
        for run_id, key, value in fetch_in(tx, "metric_values", (LM.c.run_uuid, LM.c.key, LM.c.value),
                                           LM.c.run_uuid, chunk):
            column = metrics.get(key)
            if column is None:
                column = metrics[key] = {}
            column[run_id] = loaded_value(value, kind)
    rows = [infos[run_id] for run_id in run_ids if run_id in infos]
    if rows:
        ids, experiment_ids, _, _, statuses, starts, ends, uris, _ = zip(*rows)
        table.run_ids.extend(ids)
        table.experiment_ids.extend(map(str, experiment_ids))
        table.statuses.extend(statuses)
        table.artifact_uris.extend(uri or "" for uri in uris)
        table.start_times.extend(starts)
        table.end_times.extend(ends)
    return table


def load_dataset_inputs(tx: Tx, run_ids: list[str]) -> dict[str, RunInputs]:
    INP, D, IT = schema.inputs, schema.datasets, schema.input_tags
    found: dict[str, list[tuple[str, DatasetInput]]] = {}
    for chunk in _chunks(run_ids):
        rows = fetch_in(tx, "dataset_inputs", (INP.c.destination_id, INP.c.input_uuid, D.c.name, D.c.digest,
                                               D.c.source_type, D.c.source, D.c.schema, D.c.profile),
                        INP.c.destination_id, chunk, refine=lambda q: q.join(D, D.c.dataset_uuid == INP.c.source_id).where(
                            INP.c.destination_type == "RUN", INP.c.source_type == "DATASET"))
        if not rows:
            continue
        input_ids = [row[1] for row in rows]
        tag_map: dict[str, list[InputTag]] = {}
        for sub in _chunks(input_ids):
            for input_id, name, value in fetch_in(tx, "input_tags", (IT.c.input_uuid, IT.c.name, IT.c.value),
                                                  IT.c.input_uuid, sub):
                tag_map.setdefault(input_id, []).append(InputTag(name, value))
        for run_id, input_id, name, digest, source_type, source, schema_, profile in rows:
            dataset = Dataset(name, digest, source_type, source, schema_, profile)
            found.setdefault(run_id, []).append((name, DatasetInput(dataset, tuple(tag_map.get(input_id, ())))))
    return {run_id: RunInputs(tuple(item for _, item in sorted(items, key=lambda pair: pair[0])))
            for run_id, items in found.items()}


def load_model_links(
    tx: Tx, run_ids: list[str]
) -> tuple[dict[str, tuple[ModelInput, ...]], dict[str, tuple[ModelOutput, ...]]]:
    """Logged models the runs used and produced, by run id (runs without any are left out)."""
    RMI, RMO = schema.run_model_inputs, schema.run_model_outputs
    inputs: dict[str, list[ModelInput]] = {}
    outputs: dict[str, list[ModelOutput]] = {}
    for chunk in _chunks(run_ids):
        for run_id, model_id in fetch_in(tx, "run_model_inputs", (RMI.c.run_uuid, RMI.c.model_id), RMI.c.run_uuid,
                                         chunk, refine=lambda q: q.order_by(RMI.c.run_uuid, RMI.c.model_id)):
            inputs.setdefault(run_id, []).append(ModelInput(model_id))
        for run_id, model_id, step in fetch_in(
                tx, "run_model_outputs", (RMO.c.run_uuid, RMO.c.model_id, RMO.c.step), RMO.c.run_uuid, chunk,
                refine=lambda q: q.order_by(RMO.c.run_uuid, RMO.c.step, RMO.c.model_id)):
            outputs.setdefault(run_id, []).append(ModelOutput(model_id, step))
    return ({run_id: tuple(items) for run_id, items in inputs.items()},
            {run_id: tuple(items) for run_id, items in outputs.items()})
