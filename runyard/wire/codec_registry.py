"""Registry entities <-> MLflow JSON (reference section 7), and runyard's audit events.

A model version's ``version`` is a string, ``current_stage`` defaults to ``"None"``, and
``description`` and ``run_link`` are always emitted (``""`` when unset), as MLflow's server does.
A registered model carries its ``latest_versions`` (the newest version per stage), its tags and its
aliases as ``{alias, version}`` pairs; a version lists its aliases as plain strings.
"""

from __future__ import annotations

from typing import Any, Mapping

from runyard.entities.registry import (
    ModelVersion,
    ModelVersionStage,
    ModelVersionStatus,
    RegisteredModel,
    RegistryEvent,
)
from runyard.wire.codec import decode_tags, encode_tags, put_list

_MODELS_PREFIX = "models:/"


def encode_model_version(mv: ModelVersion) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": mv.name,
        "version": str(mv.version),
        "creation_timestamp": mv.creation_timestamp,
    }
    if mv.last_updated_timestamp is not None:
        body["last_updated_timestamp"] = mv.last_updated_timestamp
    if mv.user_id is not None:
        body["user_id"] = mv.user_id
    body["current_stage"] = mv.current_stage or ModelVersionStage.NONE
    body["description"] = mv.description or ""
    if mv.source is not None:
        body["source"] = mv.source
    if mv.run_id:
        body["run_id"] = mv.run_id
    body["status"] = mv.status or ModelVersionStatus.READY
    if mv.status_message:
        body["status_message"] = mv.status_message
    put_list(body, "tags", encode_tags(mv.tags))
    body["run_link"] = mv.run_link or ""
    put_list(body, "aliases", list(mv.aliases))
    if mv.model_id:
        body["model_id"] = mv.model_id
    return body


def model_id_of_source(source: str | None) -> str | None:
    """The logged model id of a ``models:/<model_id>`` source (MLflow servers leave ``model_id``
    out and let the source imply it); None for any other source."""
    if not source or not source.startswith(_MODELS_PREFIX):
        return None
    rest = source[len(_MODELS_PREFIX):].strip("/")
    return rest if rest.startswith("m-") and "/" not in rest and "@" not in rest else None


def decode_model_version(d: Mapping[str, Any]) -> ModelVersion:
    source = d.get("source")
    return ModelVersion(
        name=d["name"],
        version=str(d["version"]),
        creation_timestamp=int(d.get("creation_timestamp", 0)),
        last_updated_timestamp=_int_or_none(d.get("last_updated_timestamp")),
        description=d.get("description", ""),
        user_id=d.get("user_id") or None,
        current_stage=d.get("current_stage") or ModelVersionStage.NONE,
        source=source,
        run_id=d.get("run_id") or None,
        status=d.get("status") or ModelVersionStatus.READY,
        status_message=d.get("status_message") or None,
        tags=decode_tags(d.get("tags")),
        run_link=d.get("run_link", ""),
        aliases=tuple(d.get("aliases") or ()),
        model_id=d.get("model_id") or model_id_of_source(source),
    )


def encode_registered_model(rm: RegisteredModel) -> dict[str, Any]:
    body: dict[str, Any] = {"name": rm.name, "creation_timestamp": rm.creation_timestamp}
    if rm.last_updated_timestamp is not None:
        body["last_updated_timestamp"] = rm.last_updated_timestamp
    if rm.description:
        body["description"] = rm.description
    put_list(body, "latest_versions", [encode_model_version(mv) for mv in rm.latest_versions])
    put_list(body, "tags", encode_tags(rm.tags))
    put_list(body, "aliases", [{"alias": alias, "version": str(version)} for alias, version in rm.aliases.items()])
    if rm.deployment_job_id:
        body["deployment_job_id"] = rm.deployment_job_id
    if rm.deployment_job_state:
        body["deployment_job_state"] = rm.deployment_job_state
    return body


def decode_registered_model(d: Mapping[str, Any]) -> RegisteredModel:
    return RegisteredModel(
        name=d["name"],
        creation_timestamp=int(d.get("creation_timestamp", 0)),
        last_updated_timestamp=_int_or_none(d.get("last_updated_timestamp")),
        description=d.get("description"),  # left out when the model has none
        latest_versions=tuple(decode_model_version(mv) for mv in d.get("latest_versions") or ()),
        tags=decode_tags(d.get("tags")),
        aliases={a["alias"]: str(a["version"]) for a in d.get("aliases") or ()},
        deployment_job_id=d.get("deployment_job_id") or None,
        deployment_job_state=d.get("deployment_job_state") or None,
    )


_EVENT_FIELDS = ("user_id", "version", "key", "from_value", "to_value")


def encode_registry_event(event: RegistryEvent) -> dict[str, Any]:
    body: dict[str, Any] = {"event_id": event.event_id, "name": event.name, "action": event.action,
                            "timestamp": event.timestamp}
    for field in _EVENT_FIELDS:
        value = getattr(event, field)
        if value is not None:
            body[field] = value
    return body


def decode_registry_event(d: Mapping[str, Any]) -> RegistryEvent:
    return RegistryEvent(event_id=int(d["event_id"]), name=d["name"], action=d["action"],
                         timestamp=int(d["timestamp"]), **{f: d.get(f) for f in _EVENT_FIELDS})


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
