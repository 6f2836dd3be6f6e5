"""``RestRegistryStore``: the model registry over HTTP, against a runyard or an MLflow server.

Arguments that JSON would carry to the server in another shape (a bool for a number, a float for
a version, a dict for a name) are refused here with the same error class the server would raise.
``copy_model_version`` is made of two calls, as MLflow's client does it; the audit-trail calls
need a runyard server (an MLflow server answers them with ENDPOINT_NOT_FOUND).
"""

from __future__ import annotations

from typing import Any, Sequence

from runyard.entities import PagedList
from runyard.entities.registry import (
    ModelVersion,
    ModelVersionStage,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
    RegistryEvent,
)
from runyard.errors import EndpointNotFound, InvalidParameterValue, ResourceAlreadyExists
from runyard.stores.registry import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    SEARCH_MODEL_VERSION_MAX_RESULTS_LIMIT,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_LIMIT,
    RegistryStore,
)
from runyard.stores.rest.http_client import HttpClient
from runyard.wire import codec_registry


def _text(value: Any, field: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not allow_empty):
        raise InvalidParameterValue(f"Invalid value {value!r} for parameter '{field}': must be a non-empty string")
    return value


def _version(value: Any) -> str:
    """A version as the wire's string: an int, or a string the server judges ("0" and "-1" name no
    version, as "7" may not: the server says which)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value:
        return value
    raise InvalidParameterValue(f"Invalid value {value!r} for parameter 'version': must be an integer or a string")


def _max_results(value: Any, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= limit:
        raise InvalidParameterValue(
            f"Invalid value {value!r} for parameter 'max_results' supplied: it must be between 1 and {limit}")
    return value


def _tags(tags: Sequence[Any] | None) -> list[dict[str, str]]:
    out = []
    for tag in tags or ():
        key, value = getattr(tag, "key", None), getattr(tag, "value", None)
        if not isinstance(key, str):
            raise InvalidParameterValue(f"Invalid tag key {key!r}: the key must be a string")
        if not isinstance(value, str):
            raise InvalidParameterValue(f"Invalid value {value!r} for tag {key!r}: the value must be a string")
        out.append({"key": key, "value": value})
    return out


def _order_by(order_by: Sequence[str] | None) -> list[str]:
    if isinstance(order_by, str):
        order_by = [order_by]
    clauses = list(order_by or ())
    for clause in clauses:
        _text(clause, "order_by")
    return clauses


def _page(body: dict[str, Any], key: str, decode) -> PagedList:
    return PagedList([decode(item) for item in body.get(key) or ()], body.get("next_page_token") or None)


class RestRegistryStore(RegistryStore):
    """Registered models and versions kept by the tracking server at ``uri`` (http/https)."""

    def __init__(self, uri: str, default_artifact_root: str | None = None, promotion_policy: Any = None) -> None:
        # The promotion policy is the server's to enforce; a client-side one would be advisory only.
        self.uri = uri
        self.http = HttpClient(uri)

    def close(self) -> None:
        self.http.close()

    # -- registered models ------------------------------------------------------------------------
    def create_registered_model(self, name, tags=None, description=None, deployment_job_id=None) -> RegisteredModel:
        body: dict[str, Any] = {"name": _text(name, "name"), "tags": _tags(tags)}
        if description is not None:
            body["description"] = _text(description, "description", allow_empty=True)
        if deployment_job_id:
            body["deployment_job_id"] = _text(deployment_job_id, "deployment_job_id")
        return codec_registry.decode_registered_model(self.http.call("CreateRegisteredModel", body)["registered_model"])

    def update_registered_model(self, name, description, deployment_job_id=None) -> RegisteredModel:
        body: dict[str, Any] = {"name": _text(name, "name")}
        if description is not None:
            body["description"] = _text(description, "description", allow_empty=True)
        if deployment_job_id:
            body["deployment_job_id"] = _text(deployment_job_id, "deployment_job_id")
        return codec_registry.decode_registered_model(self.http.call("UpdateRegisteredModel", body)["registered_model"])

    def rename_registered_model(self, name, new_name) -> RegisteredModel:
        body = {"name": _text(name, "name"), "new_name": _text(new_name, "new_name")}
        return codec_registry.decode_registered_model(self.http.call("RenameRegisteredModel", body)["registered_model"])

    def delete_registered_model(self, name) -> None:
        self.http.call("DeleteRegisteredModel", {"name": _text(name, "name")})

    def get_registered_model(self, name) -> RegisteredModel:
        answer = self.http.call("GetRegisteredModel", {"name": _text(name, "name")})
        return codec_registry.decode_registered_model(answer["registered_model"])

    def search_registered_models(self, filter_string=None, max_results=SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
                                 order_by=None, page_token=None) -> PagedList[RegisteredModel]:
        body: dict[str, Any] = {
            "max_results": _max_results(max_results, SEARCH_REGISTERED_MODEL_MAX_RESULTS_LIMIT),
            "order_by": _order_by(order_by),
        }
        if filter_string:
            body["filter"] = _text(filter_string, "filter")
        if page_token:
            body["page_token"] = _text(page_token, "page_token")
        answer = self.http.call("SearchRegisteredModels", body)
        return _page(answer, "registered_models", codec_registry.decode_registered_model)

    def get_latest_versions(self, name, stages=None) -> list[ModelVersion]:
        wanted = [ModelVersionStage.canonical(s) for s in ([stages] if isinstance(stages, str) else stages or ())]
        answer = self.http.call("GetLatestVersions", {"name": _text(name, "name"), "stages": wanted})
        return [codec_registry.decode_model_version(mv) for mv in answer.get("model_versions") or ()]

    def set_registered_model_tag(self, name, tag: RegisteredModelTag) -> None:
        (pair,) = _tags([tag])
        self.http.call("SetRegisteredModelTag", {"name": _text(name, "name"), **pair})

    def delete_registered_model_tag(self, name, key) -> None:
        self.http.call("DeleteRegisteredModelTag", {"name": _text(name, "name"), "key": _text(key, "key")})

    # -- versions ---------------------------------------------------------------------------------
    def create_model_version(self, name, source, run_id=None, tags=None, run_link=None, description=None,
                             local_model_path=None, model_id=None) -> ModelVersion:
        body: dict[str, Any] = {"name": _text(name, "name"), "source": _text(source, "source"), "tags": _tags(tags)}
        for field, value in (("run_id", run_id), ("run_link", run_link), ("model_id", model_id)):
            if value:
                body[field] = _text(value, field)
        if description is not None:
            body["description"] = _text(description, "description", allow_empty=True)
        return codec_registry.decode_model_version(self.http.call("CreateModelVersion", body)["model_version"])

    def update_model_version(self, name, version, description) -> ModelVersion:
        body: dict[str, Any] = {"name": _text(name, "name"), "version": _version(version)}
        if description is not None:
            body["description"] = _text(description, "description", allow_empty=True)
        return codec_registry.decode_model_version(self.http.call("UpdateModelVersion", body)["model_version"])

    def transition_model_version_stage(self, name, version, stage, archive_existing_versions) -> ModelVersion:
        if not isinstance(archive_existing_versions, bool):
            raise InvalidParameterValue(
                f"Invalid value {archive_existing_versions!r} for parameter 'archive_existing_versions': "
                "must be true or false")
        body = {"name": _text(name, "name"), "version": _version(version),
                "stage": ModelVersionStage.canonical(stage), "archive_existing_versions": archive_existing_versions}
        return codec_registry.decode_model_version(self.http.call("TransitionModelVersionStage", body)["model_version"])

    def delete_model_version(self, name, version) -> None:
        self.http.call("DeleteModelVersion", {"name": _text(name, "name"), "version": _version(version)})

    def get_model_version(self, name, version) -> ModelVersion:
        answer = self.http.call("GetModelVersion", {"name": _text(name, "name"), "version": _version(version)})
        return codec_registry.decode_model_version(answer["model_version"])

    def get_model_version_download_uri(self, name, version) -> str:
        answer = self.http.call("GetModelVersionDownloadUri", {"name": _text(name, "name"),
                                                                "version": _version(version)})
        return answer["artifact_uri"]

    def search_model_versions(self, filter_string=None, max_results=SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
                              order_by=None, page_token=None) -> PagedList[ModelVersion]:
        body: dict[str, Any] = {
            "max_results": _max_results(max_results, SEARCH_MODEL_VERSION_MAX_RESULTS_LIMIT),
            "order_by": _order_by(order_by),
        }
        if filter_string:
            body["filter"] = _text(filter_string, "filter")
        if page_token:
            body["page_token"] = _text(page_token, "page_token")
        return _page(self.http.call("SearchModelVersions", body), "model_versions", codec_registry.decode_model_version)

    def set_model_version_tag(self, name, version, tag: ModelVersionTag) -> None:
        (pair,) = _tags([tag])
        self.http.call("SetModelVersionTag", {"name": _text(name, "name"), "version": _version(version), **pair})

    def delete_model_version_tag(self, name, version, key) -> None:
        self.http.call("DeleteModelVersionTag", {"name": _text(name, "name"), "version": _version(version),
                                                 "key": _text(key, "key")})

    def copy_model_version(self, src_mv: ModelVersion, dst_name: str) -> ModelVersion:
        try:
            self.create_registered_model(dst_name)
        except ResourceAlreadyExists:
            pass
        return self.create_model_version(
            dst_name, f"models:/{src_mv.name}/{src_mv.version}", run_id=src_mv.run_id,
            tags=[ModelVersionTag(k, v) for k, v in src_mv.tags.items()], run_link=src_mv.run_link or None,
            description=src_mv.description, model_id=src_mv.model_id)

    # -- aliases ----------------------------------------------------------------------------------
    def set_registered_model_alias(self, name, alias, version) -> None:
        self.http.call("SetRegisteredModelAlias", {"name": _text(name, "name"), "alias": _text(alias, "alias"),
                                                   "version": _version(version)})

    def delete_registered_model_alias(self, name, alias) -> None:
        self.http.call("DeleteRegisteredModelAlias", {"name": _text(name, "name"), "alias": _text(alias, "alias")})

    def get_model_version_by_alias(self, name, alias) -> ModelVersion:
        answer = self.http.call("GetModelVersionByAlias", {"name": _text(name, "name"), "alias": _text(alias, "alias")})
        return codec_registry.decode_model_version(answer["model_version"])

    # -- audit trail (runyard servers) ------------------------------------------------------------
    def get_registry_history(self, name, since=None, until=None) -> list[RegistryEvent]:
        body: dict[str, Any] = {"name": _text(name, "name")}
        for field, value in (("since", since), ("until", until)):
            if value is not None:
                body[field] = _millis(value, field)
        answer = self._runyard_call("GetRegistryHistory", body)
        return [codec_registry.decode_registry_event(e) for e in answer.get("events") or ()]

    def get_version_at(self, name, timestamp, *, stage=None, alias=None) -> str | None:
        if (stage is None) == (alias is None):
            raise InvalidParameterValue("Give exactly one of 'stage' and 'alias'")
        body: dict[str, Any] = {"name": _text(name, "name"), "timestamp": _millis(timestamp, "timestamp")}
        if stage is not None:
            body["stage"] = ModelVersionStage.canonical(stage)
        else:
            body["alias"] = _text(alias, "alias")
        return self._runyard_call("GetVersionAt", body).get("version")

    def _runyard_call(self, message: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.http.call(message, body)
        except EndpointNotFound:
            raise EndpointNotFound(
                f"The server at {self.uri} has no registry audit trail (an MLflow server, or an older runyard)"
            ) from None


def _millis(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterValue(f"Invalid value {value!r} for parameter '{field}': must be milliseconds "
                                    "since the epoch (an integer)")
    return value
