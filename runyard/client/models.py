"""Models through the tracking client: ``log_model`` (MLflow 3's logged-model path) and model URIs.

``log_model`` creates a logged model (its own id and artifact location, linked to its run), has
the flavor save the model into a temporary directory with an MLmodel that names that id, uploads
the directory to the model's artifact location and marks the model READY (UPLOAD_FAILED, and the
error re-raised, when any step fails).

With ``registered_model_name`` the logged model is then registered as the next version of that
registered model (``ModelInfo.registered_model_version``). Model URIs resolve through
``runyard.client.model_sources``.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

from runyard import uris
from runyard.client.model_sources import register_model, resolve_model_uri
from runyard.client.tracking_client import RunyardClient
from runyard.entities import LoggedModelOutput, LoggedModelStatus, Metric
from runyard.errors import ResourceDoesNotExist
from runyard.models.model import MLMODEL_FILE_NAME, Model, ModelInfo
from runyard.stores.factory import artifact_store_for


def download_model(client: RunyardClient, model_uri: str, dst_path: str | None = None) -> str:
    """A local directory holding the model named by ``model_uri`` (a local model without
    ``dst_path`` is used where it is, not copied)."""
    root, rel = resolve_model_uri(client, model_uri)
    if uris.is_local_uri(root) and dst_path is None:
        local = os.path.join(uris.local_path_of(root), *rel.split("/")) if rel else uris.local_path_of(root)
        if not os.path.exists(local):
            raise ResourceDoesNotExist(f"No model at {model_uri!r} (no such path {local!r})")
        return local
    if dst_path is not None:
        os.makedirs(dst_path, exist_ok=True)
    return artifact_store_for(root, client.tracking_uri).download_artifacts(rel, dst_path)


def get_model_info(client: RunyardClient, model_uri: str) -> ModelInfo:
    """The ModelInfo of a model by URI; reads only its MLmodel file (and its logged model, if any)."""
    root, rel = resolve_model_uri(client, model_uri)
    store = artifact_store_for(root, client.tracking_uri)
    with tempfile.TemporaryDirectory(prefix="runyard-") as tmp:
        path = store.download_artifacts(posixpath.join(rel, MLMODEL_FILE_NAME) if rel else MLMODEL_FILE_NAME, tmp)
        model = Model.load(path)
    logged = None
    if model.model_id:
        try:
            logged = client.get_logged_model(model.model_id)
        except ResourceDoesNotExist:
            logged = None  # an MLmodel copied from another tracking server
    return model.get_model_info(logged)


def localize_artifacts(client: RunyardClient, artifacts: Mapping[str, Any] | None, dst: str) -> dict[str, str] | None:
    """``artifacts`` with every remote URI (``runs:/``, ``s3://``, ...) downloaded below ``dst``."""
    if artifacts is None:
        return None
    local: dict[str, str] = {}
    for index, (name, uri) in enumerate(artifacts.items()):
        text = os.fspath(uri)
        if uris.is_local_uri(text):
            local[name] = text
            continue
        if uris.scheme_of(text) == "runs":
            run_id, rel = uris.parse_runs_uri(text)
            root = client._run_artifact_root(run_id)
        else:
            root, rel = posixpath.split(text.rstrip("/"))
        target = os.path.join(dst, str(index))
        local[name] = artifact_store_for(root, client.tracking_uri).download_artifacts(rel, target)
    return local


def _link_run_metrics(client: RunyardClient, run_id: str, model_id: str, step: int) -> None:
    """Log the run's metric points at ``step`` again with the model's id, as MLflow 3 does, so that
    the logged model carries the metrics its run had when it was logged."""
    keys = list(client.get_run(run_id).data.metrics)
    points: list[Metric] = []
    for key in keys:
        points.extend(Metric(m.key, m.value, m.timestamp, m.step, None, m.dataset_name, m.dataset_digest, model_id)
                      for m in client.get_metric_history(run_id, key) if m.step == step and not m.model_id)
    if points:
        client.log_batch(run_id, metrics=points, synchronous=True)


def log_model(client: RunyardClient, flavor_save_model: Callable[..., Any], name: str | None,
              experiment_id: str, run_id: str | None = None, params: Mapping[str, Any] | None = None,
              tags: Mapping[str, Any] | None = None, model_type: str | None = None, step: int = 0,
              model_id: str | None = None, registered_model_name: str | None = None,
              **flavor_kwargs: Any) -> ModelInfo:
    """Log a model as MLflow 3 does (see the module doc); returns its ModelInfo."""
    if model_id is not None:
        logged = client.get_logged_model(model_id)
    else:
        merged = {**{k: str(v) for k, v in (params or {}).items()},
                  **(client.get_run(run_id).data.params if run_id else {})}
        logged = client.create_logged_model(experiment_id, name, run_id, tags, merged, model_type)
    try:
        if run_id is not None:
            client.log_outputs(run_id, [LoggedModelOutput(logged.model_id, step)])
            _link_run_metrics(client, run_id, logged.model_id, step)
        meta = Model(artifact_path=logged.artifact_location, model_uuid=logged.model_id, run_id=run_id,
                     model_id=logged.model_id)
        with tempfile.TemporaryDirectory(prefix="runyard-model-") as tmp:
            local = os.path.join(tmp, "model")
            flavor_save_model(path=local, mlflow_model=meta, **flavor_kwargs)
            for cache in [os.path.join(d, "__pycache__") for d, subdirs, _ in os.walk(local) if "__pycache__" in subdirs]:
                shutil.rmtree(cache, ignore_errors=True)
            artifact_store_for(logged.artifact_location, client.tracking_uri).log_artifacts(local, None)
    except BaseException:
        with contextlib.suppress(Exception):  # the original error is the one to report
            client.finalize_logged_model(logged.model_id, LoggedModelStatus.UPLOAD_FAILED)
        raise
    final = client.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
    info = meta.get_model_info(final)
    if registered_model_name is not None:
        version = register_model(client, info.model_uri, registered_model_name)
        info.registered_model_version = int(version.version)
    return info
