"""Where a model URI's files are, and registering a model URI as a registry version.

Model URIs resolve to (artifact root, path below it): local paths and ``file:``,
``runs:/<run>/<path>`` (the run's artifacts, else MLflow 3's fallback: the logged model named by the
first path segment that the run produced), ``models:/<model_id>``, the registry forms
``models:/<name>/<version>``, ``/<stage>``, ``/latest`` and ``models:/<name>@<alias>`` (through the
registry's download URI), and any artifact URI (``s3://``, ``mlflow-artifacts:/``).

Nothing here loads the model-format stack: registering and resolving stay light.
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
from typing import TYPE_CHECKING, Any, Mapping

from runyard import uris
from runyard.entities import LoggedModel
from runyard.entities.registry import ModelVersion
from runyard.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from runyard.stores.factory import artifact_store_for

if TYPE_CHECKING:
    from runyard.client.tracking_client import RunyardClient

_logger = logging.getLogger(__name__)
MODEL_VERSIONS_TAG = "mlflow.modelVersions"
_MLMODEL = "MLmodel"


def logged_model_of_run(client: RunyardClient, run_id: str, name: str) -> LoggedModel | None:
    """MLflow 3's ``runs:/`` fallback: the newest logged model called ``name`` that the run produced."""
    experiment_id = client.get_run(run_id).info.experiment_id
    quoted = "'" + name + "'" if "'" not in name else '"' + name + '"'
    token = None
    while True:
        page = client.search_logged_models([experiment_id], f"name = {quoted}", page_token=token)
        for model in page:
            if model.source_run_id == run_id:
                return model
        token = page.token
        if not token:
            return None


def _exists(root: str, rel: str, tracking_uri: str) -> bool:
    store = artifact_store_for(root, tracking_uri)
    if store.list_artifacts(rel or None):
        return True
    parent, leaf = posixpath.split(rel)
    return any(posixpath.basename(info.path) == leaf and not info.is_dir
               for info in store.list_artifacts(parent or None)) if leaf else False


def _resolve_runs_uri(client: RunyardClient, model_uri: str) -> tuple[str, str, LoggedModel | None]:
    """(root, path, the logged model when the fallback found one) of a ``runs:/`` URI."""
    run_id, rel = uris.parse_runs_uri(model_uri)
    rel = "" if rel == "." else rel
    root = client._run_artifact_root(run_id)
    if rel and _exists(root, rel, client.tracking_uri):
        return root, rel, None
    first, _, rest = rel.partition("/")
    model = logged_model_of_run(client, run_id, first) if first else None
    if model is None:
        raise ResourceDoesNotExist(
            f"No model at {model_uri!r}: run {run_id} has no artifacts at {rel!r} and produced no "
            f"logged model named {first!r}")
    return model.artifact_location, rest, model


def resolve_model_uri(client: RunyardClient, model_uri: str) -> tuple[str, str]:
    """(artifact root URI, path below it) of the model named by ``model_uri``."""
    model_uri = os.fspath(model_uri)
    if not isinstance(model_uri, str) or not model_uri:
        raise InvalidParameterValue(f"model_uri must be a non-empty string, got {model_uri!r}")
    scheme = uris.scheme_of(model_uri)
    if scheme == "models":
        parsed = uris.parse_models_uri(model_uri)
        if parsed.model_id is not None:
            return client.get_logged_model(parsed.model_id).artifact_location, ""
        name, version = client.resolve_registry_version(parsed)
        return client.get_model_version_download_uri(name, version).rstrip("/"), ""
    if scheme == "runs":
        root, rel, _ = _resolve_runs_uri(client, model_uri)
        return root, rel
    if scheme in ("", "file"):
        return uris.path_to_file_uri(uris.local_path_of(model_uri)), ""
    return model_uri.rstrip("/"), ""


def _source_of(client: RunyardClient, model_uri: str) -> tuple[str, str | None, str | None]:
    """(version source, run id, logged model id) for registering ``model_uri``, as MLflow 3 does:
    a ``runs:/`` URI whose run has no model files there becomes ``models:/<model_id>``."""
    scheme = uris.scheme_of(model_uri)
    if scheme == "runs":
        run_id, rel = uris.parse_runs_uri(model_uri)
        rel = "" if rel == "." else rel
        root = client._run_artifact_root(run_id)
        if _exists(root, posixpath.join(rel, _MLMODEL) if rel else _MLMODEL, client.tracking_uri):
            return uris.append_to_uri_path(root, rel), run_id, None
        model = logged_model_of_run(client, run_id, rel) if rel else None
        if model is None:
            raise ResourceDoesNotExist(f"Unable to find a logged model with artifact path {rel!r} under run {run_id}")
        _logger.info("Run %s has no artifacts at %r; registering models:/%s instead", run_id, rel, model.model_id)
        return f"models:/{model.model_id}", run_id, model.model_id
    if scheme == "models":
        parsed = uris.parse_models_uri(model_uri)
        if parsed.model_id is not None:
            return model_uri, client.get_logged_model(parsed.model_id).source_run_id, parsed.model_id
        if parsed.version is not None:
            return model_uri, None, client.get_model_version(parsed.name or "", parsed.version).model_id
    return model_uri, None, None


def register_model(client: RunyardClient, model_uri: str, name: str,
                   tags: Mapping[str, Any] | None = None) -> ModelVersion:
    """Register the model at ``model_uri`` as the next version of ``name`` (created if needed)."""
    try:
        client.create_registered_model(name)
    except ResourceAlreadyExists:
        pass  # a new version of an existing model
    source, run_id, model_id = _source_of(client, os.fspath(model_uri))
    version = client.create_model_version(name, source, run_id, dict(tags) if tags else None, model_id=model_id)
    if model_id is not None:
        _note_registration(client, model_id, version)
    return version


def _note_registration(client: RunyardClient, model_id: str, version: ModelVersion) -> None:
    """Record the registration on the logged model (``mlflow.modelVersions``), as MLflow 3 does."""
    try:
        existing = client.get_logged_model(model_id).tags.get(MODEL_VERSIONS_TAG)
        entries = json.loads(existing) if existing else []
        if not isinstance(entries, list):
            entries = []
        entries.append({"name": version.name, "version": version.version})
        client.set_logged_model_tags(model_id, {MODEL_VERSIONS_TAG: json.dumps(entries)})
    except ResourceDoesNotExist:
        _logger.warning("Logged model %s is gone; its registration as %s version %s is not noted on it",
                        model_id, version.name, version.version)
