"""Fluent models: ``log_model`` against the active run, model URIs through the current client, and
the logged-model searches (``search_logged_models``, ``get_logged_model``, ``last_logged_model``).

As in MLflow 3, logging a model does not start a run: without an active run the model lands in the
current experiment with no source run.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from runyard import config, uris
from runyard.client import models as client_models
from runyard.entities import LoggedModel
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist
from runyard.fluent.experiments import experiment_id_for_new_run
from runyard.fluent.runs import active_run
from runyard.fluent.tracking_uri import current_client
from runyard.models.model import ModelInfo

_logger = logging.getLogger(__name__)
_last_model_var: ContextVar[str | None] = ContextVar("runyard_last_logged_model", default=None)
_last_model_id: str | None = None


def _context_tags() -> dict[str, str]:
    return {"mlflow.user": config.current_user(),
            "mlflow.source.name": sys.argv[0] if sys.argv and sys.argv[0] else "<console>",
            "mlflow.source.type": "LOCAL"}


def log_model(flavor_save_model: Callable[..., Any], name: str | None = None, *, artifact_path: str | None = None,
              run_id: str | None = None, params: Mapping[str, Any] | None = None,
              tags: Mapping[str, Any] | None = None, model_type: str | None = None, step: int = 0,
              model_id: str | None = None, registered_model_name: str | None = None,
              **flavor_kwargs: Any) -> ModelInfo:
    """Log a model saved by ``flavor_save_model(path=..., mlflow_model=..., **flavor_kwargs)`` as a
    logged model of the active run (or of ``run_id``; of no run when there is none), and register it
    as the next version of ``registered_model_name`` when one is given."""
    global _last_model_id
    if artifact_path is not None:
        if name is not None:
            raise InvalidParameterValue("Specify only one of `name` and `artifact_path` (deprecated)")
        _logger.warning("`artifact_path` is deprecated; use `name` instead")
        name = artifact_path
    client = current_client()
    run = active_run()
    run_id = run_id or (run.info.run_id if run is not None else None)
    if run_id is not None:
        experiment_id = run.info.experiment_id if run is not None and run.info.run_id == run_id \
            else client.get_run(run_id).info.experiment_id
    else:
        experiment_id = experiment_id_for_new_run(client)
    info = client_models.log_model(client, flavor_save_model, name, experiment_id, run_id, params,
                                   {**_context_tags(), **(tags or {})}, model_type, step, model_id,
                                   registered_model_name=registered_model_name, **flavor_kwargs)
    _last_model_var.set(info.model_id)
    _last_model_id = info.model_id
    return info


def download_model(model_uri: str, dst_path: str | None = None) -> str:
    """A local directory holding the model named by ``model_uri`` (any supported model URI)."""
    text = os.fspath(model_uri)
    if dst_path is None and uris.is_local_uri(text):
        # A model on disk is used where it is: no tracking store is opened for it.
        local = uris.local_path_of(text)
        if not os.path.exists(local):
            raise ResourceDoesNotExist(f"No model at {text!r} (no such path {local!r})")
        return local
    return client_models.download_model(current_client(), model_uri, dst_path)


def get_model_info(model_uri: str) -> ModelInfo:
    """Metadata of the model named by ``model_uri`` (its MLmodel file, and its logged model)."""
    return client_models.get_model_info(current_client(), model_uri)


@contextmanager
def local_artifacts(artifacts: Mapping[str, Any] | None) -> Iterator[dict[str, Any] | None]:
    """``artifacts`` with remote URIs downloaded to a temporary directory, for a custom model save
    (local paths are passed through without touching the tracking store)."""
    if not artifacts or all(uris.is_local_uri(os.fspath(uri)) for uri in artifacts.values()):
        yield dict(artifacts) if artifacts is not None else None
        return
    with tempfile.TemporaryDirectory(prefix="runyard-artifacts-") as tmp:
        yield client_models.localize_artifacts(current_client(), artifacts, tmp)


def get_logged_model(model_id: str) -> LoggedModel:
    """The logged model with this id."""
    return current_client().get_logged_model(model_id)


def last_logged_model() -> LoggedModel | None:
    """The logged model this process (or context) logged last, read fresh; None before any."""
    model_id = _last_model_var.get() or _last_model_id
    return current_client().get_logged_model(model_id) if model_id else None


_FRAME_COLUMNS = ("artifact_location", "creation_timestamp", "experiment_id", "last_updated_timestamp", "metrics",
                  "model_id", "model_type", "name", "params", "source_run_id", "status", "status_message", "tags")


def search_logged_models(experiment_ids: Sequence[str] | None = None, filter_string: str | None = None,
                         datasets: Sequence[Mapping[str, Any]] | None = None, max_results: int | None = None,
                         order_by: Sequence[Mapping[str, Any]] | None = None, output_format: str = "pandas") -> Any:
    """Logged models matching ``filter_string`` in ``experiment_ids`` (default: the current
    experiment), all pages, as a pandas DataFrame (default) or, with ``output_format="list"``, a list."""
    if output_format not in ("pandas", "list"):
        raise InvalidParameterValue(f"Unsupported output_format {output_format!r}: expected 'pandas' or 'list'")
    client = current_client()
    ids = [str(i) for i in experiment_ids] if experiment_ids else [experiment_id_for_new_run(client)]
    models: list[LoggedModel] = []
    token = None
    while True:
        page = client.search_logged_models(ids, filter_string, datasets, max_results, order_by, token)
        models.extend(page)
        token = page.token
        if not token or (max_results is not None and len(models) >= max_results):
            break
    if max_results is not None:
        models = models[:max_results]
    if output_format == "list":
        return models
    import pandas as pd  # noqa: PLC0415 - pandas loads only when a frame is asked for

    rows = [{column: (list(getattr(m, column)) if column == "metrics" else getattr(m, column))
             for column in _FRAME_COLUMNS} for m in models]
    return pd.DataFrame(rows, columns=list(_FRAME_COLUMNS))
