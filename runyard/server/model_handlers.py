"""Handlers of the logged-model routes (MLflow 3) and of the artifact listings by run or model."""

from __future__ import annotations

from typing import Any

from runyard.entities import LoggedModelParameter, LoggedModelStatus, LoggedModelTag
from runyard.server.artifact_proxy import list_run_artifacts
from runyard.server.context import Context
from runyard.server.tracking_handlers import _run_id, handles
from runyard.wire import codec, codec_models


@handles("ListArtifacts")
def list_artifacts(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    run = ctx.tracking.get_run(_run_id(msg))
    return list_run_artifacts(ctx, run.info.artifact_uri, msg.get("path"))


@handles("CreateLoggedModel")
def create_logged_model(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    model = ctx.tracking.create_logged_model(
        experiment_id=msg["experiment_id"],
        name=msg.get("name"),
        source_run_id=msg.get("source_run_id") or None,
        tags=[LoggedModelTag(t.get("key", ""), t.get("value", "")) for t in msg.get("tags") or ()],
        params=[LoggedModelParameter(p.get("key", ""), p.get("value", "")) for p in msg.get("params") or ()],
        model_type=msg.get("model_type") or None,
    )
    return {"model": codec_models.encode_logged_model(model)}


@handles("FinalizeLoggedModel")
def finalize_logged_model(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    model = ctx.tracking.finalize_logged_model(msg["model_id"], LoggedModelStatus.from_wire(msg["status"]))
    return {"model": codec_models.encode_logged_model(model)}


@handles("GetLoggedModel")
def get_logged_model(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    model = ctx.tracking.get_logged_model(msg["model_id"], allow_deleted=msg.get("allow_deleted", False))
    return {"model": codec_models.encode_logged_model(model)}


@handles("DeleteLoggedModel")
def delete_logged_model(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.tracking.delete_logged_model(msg["model_id"])
    return {}


@handles("SearchLoggedModels")
def search_logged_models(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    page = ctx.tracking.search_logged_models(
        experiment_ids=msg.get("experiment_ids") or [],
        filter_string=msg.get("filter") or None,
        datasets=msg.get("datasets") or None,
        max_results=msg.get("max_results"),
        order_by=msg.get("order_by") or None,
        page_token=msg.get("page_token") or None,
    )
    body = codec.put_list({}, "models", [codec_models.encode_logged_model(m) for m in page])
    if page.token:
        body["next_page_token"] = page.token
    return body


@handles("SetLoggedModelTags")
def set_logged_model_tags(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    tags = [LoggedModelTag(t.get("key", ""), t.get("value", "")) for t in msg.get("tags") or ()]
    ctx.tracking.set_logged_model_tags(msg["model_id"], tags)
    return {}


@handles("DeleteLoggedModelTag")
def delete_logged_model_tag(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.tracking.delete_logged_model_tag(msg["model_id"], msg["tag_key"])
    return {}


@handles("LogLoggedModelParams")
def log_logged_model_params(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    params = [LoggedModelParameter(p.get("key", ""), p.get("value", "")) for p in msg.get("params") or ()]
    ctx.tracking.log_logged_model_params(msg["model_id"], params)
    return {}


@handles("ListLoggedModelArtifacts")
def list_logged_model_artifacts(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    model = ctx.tracking.get_logged_model(msg["model_id"])
    return list_run_artifacts(ctx, model.artifact_location, msg.get("artifact_directory_path"))
