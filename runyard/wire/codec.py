"""Entities <-> MLflow JSON (as the server emits it and the REST store reads it).

int64 fields are JSON numbers, enums are names, unset fields and empty lists are left out (proto
JSON has no empty repeated fields), and non-finite metric values are the strings ``"NaN"``,
``"Infinity"`` and ``"-Infinity"`` (what MLflow emits).
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

from runyard.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    FileInfo,
    InputTag,
    Metric,
    ModelInput,
    ModelOutput,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
)


def encode_double(value: float) -> float | str:
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def decode_double(value: Any) -> float:
    return float(value)  # float() reads "NaN", "Infinity" and "-Infinity" too


def encode_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def decode_tags(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    return {item["key"]: item.get("value", "") for item in items or ()}


def _drop_none(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def put_list(body: dict[str, Any], key: str, items: list[Any]) -> dict[str, Any]:
    """``body`` with ``key`` set to ``items`` unless it is empty (MLflow leaves empty lists out)."""
    if items:
        body[key] = items
    return body


# MLflow 3 servers without workspaces name every experiment's workspace "default".
DEFAULT_WORKSPACE = "default"


# -- experiments ----------------------------------------------------------------------------------
def encode_experiment(e: Experiment) -> dict[str, Any]:
    body = _drop_none({
        "experiment_id": e.experiment_id,
        "name": e.name,
        "artifact_location": e.artifact_location,
        "lifecycle_stage": e.lifecycle_stage,
        "last_update_time": e.last_update_time,
        "creation_time": e.creation_time,
    })
    put_list(body, "tags", encode_tags(e.tags))
    body["workspace"] = DEFAULT_WORKSPACE
    return body


def decode_experiment(d: Mapping[str, Any]) -> Experiment:
    return Experiment(
        experiment_id=str(d["experiment_id"]),
        name=d.get("name", ""),
        artifact_location=d.get("artifact_location", ""),
        lifecycle_stage=d.get("lifecycle_stage", "active"),
        tags=decode_tags(d.get("tags")),
        creation_time=_int_or_none(d.get("creation_time")),
        last_update_time=_int_or_none(d.get("last_update_time")),
    )


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


# -- metrics --------------------------------------------------------------------------------------
def encode_metric(m: Metric, with_run_id: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"key": m.key, "value": encode_double(m.value), "timestamp": m.timestamp,
                            "step": m.step}
    if m.dataset_name is not None:
        body["dataset_name"] = m.dataset_name
    if m.dataset_digest is not None:
        body["dataset_digest"] = m.dataset_digest
    if m.model_id is not None:
        body["model_id"] = m.model_id
    if with_run_id and m.run_id is not None:
        body["run_id"] = m.run_id
    return body


def decode_metric(d: Mapping[str, Any], run_id: str | None = None) -> Metric:
    return Metric(d["key"], decode_double(d.get("value", 0.0)), int(d.get("timestamp", 0)),
                  int(d.get("step", 0)), d.get("run_id", run_id), d.get("dataset_name"),
                  d.get("dataset_digest"), d.get("model_id"))


# -- runs -----------------------------------------------------------------------------------------
def encode_run_info(info: RunInfo) -> dict[str, Any]:
    return _drop_none({
        "run_id": info.run_id,
        "run_uuid": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "user_id": info.user_id,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "artifact_uri": info.artifact_uri,
        "lifecycle_stage": info.lifecycle_stage,
    })


def decode_run_info(d: Mapping[str, Any]) -> RunInfo:
    return RunInfo(
        run_id=d.get("run_id") or d["run_uuid"],
        experiment_id=str(d.get("experiment_id", "")),
        run_name=d.get("run_name", ""),
        user_id=d.get("user_id", ""),
        status=d.get("status", "RUNNING"),
        start_time=_int_or_none(d.get("start_time")),
        end_time=_int_or_none(d.get("end_time")),
        artifact_uri=d.get("artifact_uri", ""),
        lifecycle_stage=d.get("lifecycle_stage", "active"),
    )


def encode_dataset_input(di: DatasetInput) -> dict[str, Any]:
    ds = di.dataset
    body: dict[str, Any] = {}
    put_list(body, "tags", [{"key": t.key, "value": t.value} for t in di.tags])
    body["dataset"] = _drop_none({"name": ds.name, "digest": ds.digest, "source_type": ds.source_type,
                                  "source": ds.source, "schema": ds.schema, "profile": ds.profile})
    return body


def decode_dataset_input(d: Mapping[str, Any]) -> DatasetInput:
    ds = d["dataset"]
    dataset = Dataset(ds["name"], ds["digest"], ds.get("source_type", ""), ds.get("source", ""),
                      ds.get("schema"), ds.get("profile"))
    return DatasetInput(dataset, tuple(InputTag(t["key"], t.get("value", "")) for t in d.get("tags") or ()))


def encode_run(run: Run) -> dict[str, Any]:
    data = run.data
    metrics = data.metric_objects or tuple(
        Metric(k, v, 0, 0) for k, v in data.metrics.items()
    )
    encoded_data: dict[str, Any] = {}
    put_list(encoded_data, "metrics", [encode_metric(m) for m in metrics])
    put_list(encoded_data, "params", encode_tags(data.params))
    put_list(encoded_data, "tags", encode_tags(data.tags))
    body: dict[str, Any] = {"info": encode_run_info(run.info), "data": encoded_data, "inputs": {}, "outputs": {}}
    if run.inputs.dataset_inputs:
        body["inputs"]["dataset_inputs"] = [encode_dataset_input(di) for di in run.inputs.dataset_inputs]
    if run.inputs.model_inputs:
        body["inputs"]["model_inputs"] = [{"model_id": m.model_id} for m in run.inputs.model_inputs]
    if run.outputs.model_outputs:
        body["outputs"]["model_outputs"] = [{"model_id": o.model_id, "step": o.step}
                                            for o in run.outputs.model_outputs]
    return body


def decode_run(d: Mapping[str, Any]) -> Run:
    info = decode_run_info(d["info"])
    raw = d.get("data") or {}
    metric_objects = tuple(decode_metric(m) for m in raw.get("metrics") or ())
    data = RunData(
        metrics={m.key: m.value for m in metric_objects},
        params=decode_tags(raw.get("params")),
        tags=decode_tags(raw.get("tags")),
        metric_objects=metric_objects,
    )
    raw_inputs = d.get("inputs") or {}
    inputs = RunInputs(tuple(decode_dataset_input(x) for x in raw_inputs.get("dataset_inputs") or ()),
                       tuple(ModelInput(m["model_id"]) for m in raw_inputs.get("model_inputs") or ()))
    outputs = RunOutputs(tuple(ModelOutput(o["model_id"], int(o.get("step", 0)))
                               for o in (d.get("outputs") or {}).get("model_outputs") or ()))
    return Run(info, data, inputs, outputs)


# -- files ----------------------------------------------------------------------------------------
def encode_file_info(f: FileInfo) -> dict[str, Any]:
    body: dict[str, Any] = {"path": f.path, "is_dir": f.is_dir}
    if not f.is_dir and f.file_size is not None:
        body["file_size"] = f.file_size
    return body


def decode_file_info(d: Mapping[str, Any], parent: str | None = None) -> FileInfo:
    path = d["path"]
    if parent:
        path = f"{parent.rstrip('/')}/{path}"
    is_dir = bool(d.get("is_dir", False))
    size = d.get("file_size")
    return FileInfo(path=path, is_dir=is_dir, file_size=None if is_dir or size is None else int(size))
