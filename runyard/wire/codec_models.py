"""Logged models (MLflow 3) <-> MLflow JSON."""

from __future__ import annotations

from typing import Any, Mapping

from runyard.entities import LoggedModel, LoggedModelStatus
from runyard.wire.codec import decode_metric, decode_tags, encode_metric, encode_tags, put_list


def encode_logged_model(model: LoggedModel) -> dict[str, Any]:
    info: dict[str, Any] = {
        "model_id": model.model_id,
        "experiment_id": model.experiment_id,
        "name": model.name,
        "creation_timestamp_ms": model.creation_timestamp,
        "last_updated_timestamp_ms": model.last_updated_timestamp,
        "artifact_uri": model.artifact_location,
        "status": LoggedModelStatus.to_wire(model.status),
    }
    put_list(info, "tags", encode_tags(model.tags))
    if model.model_type:
        info["model_type"] = model.model_type
    if model.source_run_id:
        info["source_run_id"] = model.source_run_id
    if model.status_message:
        info["status_message"] = model.status_message
    data: dict[str, Any] = {}
    if model.params:
        data["params"] = encode_tags(model.params)
    if model.metrics:
        data["metrics"] = [encode_metric(m, with_run_id=True) for m in model.metrics]
    return {"info": info, "data": data}


def decode_logged_model(d: Mapping[str, Any]) -> LoggedModel:
    info = d["info"]
    data = d.get("data") or {}
    return LoggedModel(
        model_id=info["model_id"],
        experiment_id=str(info.get("experiment_id", "")),
        name=info.get("name", ""),
        artifact_location=info.get("artifact_uri", ""),
        creation_timestamp=int(info.get("creation_timestamp_ms", 0)),
        last_updated_timestamp=int(info.get("last_updated_timestamp_ms", 0)),
        status=LoggedModelStatus.from_wire(info.get("status", "LOGGED_MODEL_STATUS_UNSPECIFIED")),
        model_type=info.get("model_type"),
        source_run_id=info.get("source_run_id"),
        status_message=info.get("status_message"),
        tags=decode_tags(info.get("tags")),
        params=decode_tags(data.get("params")),
        metrics=tuple(decode_metric(m) for m in data.get("metrics") or ()),
    )
