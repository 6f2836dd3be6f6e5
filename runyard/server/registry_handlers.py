"""Handlers of the model registry routes (reference section 4) and of runyard's audit-trail routes."""

from __future__ import annotations

from typing import Any

from runyard import uris
from runyard.entities.registry import ModelVersionTag, RegisteredModelTag
from runyard.errors import InvalidParameterValue
from runyard.server.context import Context
from runyard.server.tracking_handlers import _max_results, handles
from runyard.stores.registry import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    SEARCH_MODEL_VERSION_MAX_RESULTS_LIMIT,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_LIMIT,
)
from runyard.wire import codec_registry

# Every message this module handles (the app runs them on worker threads).
REGISTRY_MESSAGES: list[str] = []


def _handles(message: str):
    REGISTRY_MESSAGES.append(message)
    return handles(message)


def _model(rm) -> dict[str, Any]:
    return {"registered_model": codec_registry.encode_registered_model(rm)}


def _version(mv) -> dict[str, Any]:
    return {"model_version": codec_registry.encode_model_version(mv)}


# -- registered models ----------------------------------------------------------------------------
@_handles("CreateRegisteredModel")
def create_registered_model(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    tags = [RegisteredModelTag(t.get("key", ""), t.get("value", "")) for t in msg.get("tags") or ()]
    return _model(ctx.registry.create_registered_model(
        msg["name"], tags, msg.get("description"), msg.get("deployment_job_id") or None))


@_handles("RenameRegisteredModel")
def rename_registered_model(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    return _model(ctx.registry.rename_registered_model(msg["name"], msg.get("new_name", "")))


@_handles("UpdateRegisteredModel")
def update_registered_model(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    return _model(ctx.registry.update_registered_model(msg["name"], msg.get("description"),
                                                       msg.get("deployment_job_id") or None))


@_handles("DeleteRegisteredModel")
def delete_registered_model(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.registry.delete_registered_model(msg["name"])
    return {}


@_handles("GetRegisteredModel")
def get_registered_model(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    return _model(ctx.registry.get_registered_model(msg["name"]))


@_handles("SearchRegisteredModels")
def search_registered_models(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    page = ctx.registry.search_registered_models(
        filter_string=msg.get("filter") or None,
        max_results=_max_results(msg, SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
                                 SEARCH_REGISTERED_MODEL_MAX_RESULTS_LIMIT),
        order_by=msg.get("order_by") or None,
        page_token=msg.get("page_token") or None,
    )
    body: dict[str, Any] = {"registered_models": [codec_registry.encode_registered_model(rm) for rm in page]}
    if page.token:
        body["next_page_token"] = page.token
    return body


@_handles("GetLatestVersions")
def get_latest_versions(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    versions = ctx.registry.get_latest_versions(msg["name"], msg.get("stages") or None)
    return {"model_versions": [codec_registry.encode_model_version(mv) for mv in versions]}


@_handles("SetRegisteredModelTag")
def set_registered_model_tag(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.registry.set_registered_model_tag(msg["name"], RegisteredModelTag(msg["key"], msg["value"]))
    return {}


@_handles("DeleteRegisteredModelTag")
def delete_registered_model_tag(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.registry.delete_registered_model_tag(msg["name"], msg["key"])
    return {}


# -- aliases --------------------------------------------------------------------------------------
@_handles("SetRegisteredModelAlias")
def set_registered_model_alias(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.registry.set_registered_model_alias(msg["name"], msg["alias"], msg["version"])
    return {}


@_handles("DeleteRegisteredModelAlias")
def delete_registered_model_alias(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.registry.delete_registered_model_alias(msg["name"], msg["alias"])
    return {}


@_handles("GetModelVersionByAlias")
def get_model_version_by_alias(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    return _version(ctx.registry.get_model_version_by_alias(msg["name"], msg["alias"]))


# -- versions -------------------------------------------------------------------------------------
def _check_source(ctx: Context, source: str) -> None:
    """A local source must lie inside an artifact root this server manages: a version may not
    point the registry (and every later download) at an arbitrary path on the server."""
    if uris.is_local_uri(source):
        try:
            ctx.artifacts.check_client_location(source)
        except InvalidParameterValue:
            raise InvalidParameterValue(
                f"Invalid model version source {source!r}: a local path must lie inside the server's artifact "
                "root; register from runs:/, models:/<model_id> or an artifact URI"
            ) from None


@_handles("CreateModelVersion")
def create_model_version(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    _check_source(ctx, msg["source"])
    implied = codec_registry.model_id_of_source(msg["source"])
    if implied is not None and msg.get("model_id") != implied:
        raise InvalidParameterValue(
            f"Invalid model version source {msg['source']!r}: a models:/<model_id> source needs "
            f"model_id={implied!r} in the request (got {msg.get('model_id')!r})")
    tags = [ModelVersionTag(t.get("key", ""), t.get("value", "")) for t in msg.get("tags") or ()]
    return _version(ctx.registry.create_model_version(
        msg["name"], msg["source"], run_id=msg.get("run_id") or None, tags=tags,
        run_link=msg.get("run_link") or None, description=msg.get("description"),
        model_id=msg.get("model_id") or None,
    ))


@_handles("UpdateModelVersion")
def update_model_version(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    return _version(ctx.registry.update_model_version(msg["name"], msg["version"], msg.get("description")))


@_handles("TransitionModelVersionStage")
def transition_model_version_stage(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    return _version(ctx.registry.transition_model_version_stage(
        msg["name"], msg["version"], msg["stage"], msg["archive_existing_versions"]))


@_handles("DeleteModelVersion")
def delete_model_version(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.registry.delete_model_version(msg["name"], msg["version"])
    return {}


@_handles("GetModelVersion")
def get_model_version(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    return _version(ctx.registry.get_model_version(msg["name"], msg["version"]))


@_handles("SearchModelVersions")
def search_model_versions(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    page = ctx.registry.search_model_versions(
        filter_string=msg.get("filter") or None,
        max_results=_max_results(msg, SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
                                 SEARCH_MODEL_VERSION_MAX_RESULTS_LIMIT),
        order_by=msg.get("order_by") or None,
        page_token=msg.get("page_token") or None,
    )
    body: dict[str, Any] = {"model_versions": [codec_registry.encode_model_version(mv) for mv in page]}
    if page.token:
        body["next_page_token"] = page.token
    return body


@_handles("GetModelVersionDownloadUri")
def get_model_version_download_uri(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    return {"artifact_uri": ctx.registry.get_model_version_download_uri(msg["name"], msg["version"])}


@_handles("SetModelVersionTag")
def set_model_version_tag(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.registry.set_model_version_tag(msg["name"], msg["version"], ModelVersionTag(msg["key"], msg["value"]))
    return {}


@_handles("DeleteModelVersionTag")
def delete_model_version_tag(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.registry.delete_model_version_tag(msg["name"], msg["version"], msg["key"])
    return {}


# -- audit trail (runyard) ------------------------------------------------------------------------
@_handles("GetRegistryHistory")
def get_registry_history(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    events = ctx.registry.get_registry_history(msg["name"], msg.get("since"), msg.get("until"))
    return {"events": [codec_registry.encode_registry_event(e) for e in events]}


@_handles("GetVersionAt")
def get_version_at(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    stage, alias = msg.get("stage") or None, msg.get("alias") or None
    if (stage is None) == (alias is None):
        raise InvalidParameterValue("Give exactly one of 'stage' and 'alias'")
    version = ctx.registry.get_version_at(msg["name"], msg["timestamp"], stage=stage, alias=alias)
    return {} if version is None else {"version": version}
