"""Fluent logging: metrics, params, tags, inputs and artifacts of the active run.

Each call logs to ``run_id`` when given, else to the active run, starting one when none is
active (as MLflow does).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from runyard import uris
from runyard.client.async_queue import RunOperations
from runyard.client.async_queue import flush_async_logging as _flush_queue
from runyard.client.tracking_client import metric_value
from runyard.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag
from runyard.fluent.runs import active_run, active_run_id_or_start, start_run
from runyard.fluent.tracking_uri import current_client

_CONTEXT_TAG = "mlflow.data.context"
_new_metric = tuple.__new__


def log_metric(key: str, value: float, step: int | None = None, synchronous: bool | None = None,
               timestamp: int | None = None, run_id: str | None = None, model_id: str | None = None,
               dataset: Any = None) -> RunOperations | None:
    """Log one metric point; returns RunOperations when queued (``synchronous=False``)."""
    return current_client().log_metric(
        run_id or active_run_id_or_start(), key, value, timestamp, step, synchronous,
        getattr(dataset, "name", None), getattr(dataset, "digest", None), model_id,
    )


def log_metrics(metrics: dict[str, float], step: int | None = None, synchronous: bool | None = None,
                run_id: str | None = None, timestamp: int | None = None, model_id: str | None = None,
                dataset: Any = None) -> RunOperations | None:
    """Log several metrics at one step and timestamp."""
    ts = timestamp if timestamp is not None else int(time.time() * 1000)
    step = step or 0
    name, digest = getattr(dataset, "name", None), getattr(dataset, "digest", None)
    # tuple.__new__ skips the NamedTuple constructor's Python frame: this runs for every point.
    points = [_new_metric(Metric, (k, v if type(v) is float else metric_value(k, v), ts, step, None, name, digest,
                                   model_id)) for k, v in metrics.items()]
    return current_client().log_batch(run_id or active_run_id_or_start(), metrics=points, synchronous=synchronous)


def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    """Log one param; returns ``value`` (RunOperations when queued)."""
    return current_client().log_param(active_run_id_or_start(), key, value, synchronous)


def log_params(params: dict[str, Any], synchronous: bool | None = None,
               run_id: str | None = None) -> RunOperations | None:
    """Log several params (values are stored as strings)."""
    batch = [Param(k, str(v)) for k, v in params.items()]
    return current_client().log_batch(run_id or active_run_id_or_start(), params=batch, synchronous=synchronous)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> RunOperations | None:
    """Set a tag on the active run."""
    return current_client().set_tag(active_run_id_or_start(), key, value, synchronous)


def set_tags(tags: dict[str, Any], synchronous: bool | None = None) -> RunOperations | None:
    """Set several tags on the active run."""
    batch = [RunTag(k, str(v)) for k, v in tags.items()]
    return current_client().log_batch(active_run_id_or_start(), tags=batch, synchronous=synchronous)


def delete_tag(key: str) -> None:
    """Remove a tag from the active run."""
    current_client().delete_tag(active_run_id_or_start(), key)


def _json_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    elif hasattr(value, "to_json"):
        return value.to_json()
    return json.dumps(value, default=str)


def to_dataset_entity(dataset: Any) -> Dataset:
    """A Dataset entity from an entities.Dataset, an MLflow dataset object, or anything with its fields."""
    if isinstance(dataset, Dataset):
        return dataset
    if hasattr(dataset, "_to_mlflow_entity"):
        dataset = dataset._to_mlflow_entity()
    source = getattr(dataset, "source", None)
    source_type = getattr(dataset, "source_type", None)
    if source_type is None and hasattr(source, "_get_source_type"):
        source_type = source._get_source_type()
    return Dataset(
        name=str(dataset.name), digest=str(dataset.digest), source_type=str(source_type or "code"),
        source=_json_text(source) or "{}", schema=_json_text(getattr(dataset, "schema", None)),
        profile=_json_text(getattr(dataset, "profile", None)),
    )


def log_input(dataset: Any = None, context: str | None = None, tags: dict[str, str] | None = None,
              model: Any = None) -> None:
    """Record a dataset as an input of the active run (``context`` such as "training")."""
    if dataset is None:
        return  # model inputs (LoggedModels) are not tracked yet
    input_tags = [InputTag(k, str(v)) for k, v in (tags or {}).items()]
    if context:
        input_tags.append(InputTag(_CONTEXT_TAG, context))
    entity = DatasetInput(to_dataset_entity(dataset), tuple(input_tags))
    current_client().log_inputs(active_run_id_or_start(), [entity])


def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None,
                 run_id: str | None = None) -> None:
    """Upload a local file (or directory) into the run's artifacts."""
    current_client().log_artifact(run_id or active_run_id_or_start(), local_path, artifact_path)


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None,
                  run_id: str | None = None) -> None:
    """Upload the contents of a local directory into the run's artifacts."""
    current_client().log_artifacts(run_id or active_run_id_or_start(), local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    """Save text as an artifact file."""
    current_client().log_text(run_id or active_run_id_or_start(), text, artifact_file)


def log_dict(dictionary: dict[str, Any], artifact_file: str, run_id: str | None = None) -> None:
    """Save a dict as a JSON or YAML artifact (by the file's extension)."""
    current_client().log_dict(run_id or active_run_id_or_start(), dictionary, artifact_file)


def log_figure(figure: Any, artifact_file: str, *, save_kwargs: dict[str, Any] | None = None) -> None:
    """Save a matplotlib or plotly figure as an artifact."""
    current_client().log_figure(active_run_id_or_start(), figure, artifact_file, save_kwargs=save_kwargs)


def log_image(image: Any, artifact_file: str | None = None, key: str | None = None, step: int | None = None,
              timestamp: int | None = None, synchronous: bool | None = False) -> None:
    """Save an image (numpy array or PIL image) as an artifact file or as a step of series ``key``."""
    current_client().log_image(active_run_id_or_start(), image, artifact_file, key, step, timestamp, synchronous)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """URI of the active run's artifact root, or of ``artifact_path`` below it."""
    run = active_run() or start_run()
    root = run.info.artifact_uri
    return uris.append_to_uri_path(root, artifact_path) if artifact_path else root


def flush_async_logging() -> None:
    """Write every queued asynchronous logging call now."""
    _flush_queue()
