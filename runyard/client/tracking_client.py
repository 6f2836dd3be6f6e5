"""``RunyardClient`` (alias ``MlflowClient``): the explicit, stateless tracking API."""

from __future__ import annotations

import numbers
import time
from typing import Any, Sequence

from runyard import config
from runyard.client.artifacts import RunArtifacts
from runyard.client.async_queue import RunOperations, flush_async_logging, logging_queue, split_batch
from runyard.client.logged_models import LoggedModels
from runyard.client.registry_client import RegistryMethods
from runyard.client.run_diff import RunDiffs
from runyard.client.tracking_uri import resolve_registry_uri, resolve_tracking_uri
from runyard.entities import (
    DatasetInput,
    Experiment,
    Metric,
    PagedList,
    Param,
    Run,
    RunStatus,
    RunTable,
    RunTag,
    ViewType,
)
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist
from runyard.stores.factory import tracking_store_for
from runyard.stores.tracking import SEARCH_MAX_RESULTS_DEFAULT, TrackingStore


def _now_ms() -> int:
    return int(time.time() * 1000)


def metric_value(key: str, value: Any) -> float:
    """A metric value as a float; bools, strings and other non-numbers are rejected."""
    if type(value) is float:
        return value
    if isinstance(value, (bool, str, bytes)) or value is None:
        raise InvalidParameterValue(
            f"Invalid value {value!r} for metric '{key}': must be a number (int or float), got {type(value).__name__}"
        )
    if isinstance(value, numbers.Number) or hasattr(value, "__float__"):
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            pass
    if getattr(value, "size", None) == 1 and hasattr(value, "item"):
        # One-element numpy arrays and framework tensors, as MLflow accepts them.
        return metric_value(key, value.item())
    raise InvalidParameterValue(
        f"Invalid value {value!r} for metric '{key}': must be a number (int or float), got {type(value).__name__}"
    )


def _use_async(synchronous: bool | None) -> bool:
    return (not synchronous) if synchronous is not None else config.async_logging_enabled()


def _as_metric(m: Any) -> Metric:
    if type(m) is Metric:
        return m if type(m.value) is float else m._replace(value=metric_value(m.key, m.value))
    step = getattr(m, "step", 0) or 0
    return Metric(m.key, metric_value(m.key, m.value), m.timestamp, step)


class RunyardClient(RunArtifacts, LoggedModels, RegistryMethods, RunDiffs):
    """Client for a tracking store and a model registry; holds nothing but the store handles."""

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        self._tracking_uri = resolve_tracking_uri(tracking_uri)
        self._registry_uri = resolve_registry_uri(registry_uri, self._tracking_uri)
        # The store puts artifacts of a SQLite database in the folder beside it.
        self._store: TrackingStore = tracking_store_for(self._tracking_uri)
        self._artifact_roots: dict[str, str] = {}

    @property
    def tracking_uri(self) -> str:
        """The tracking URI this client talks to."""
        return self._tracking_uri

    # -- experiments ----------------------------------------------------------------------------
    def create_experiment(self, name: str, artifact_location: str | None = None,
                          tags: dict[str, Any] | None = None) -> str:
        """Create an experiment; returns its id."""
        tag_list = [RunTag(k, str(v)) for k, v in (tags or {}).items()]
        return self._store.create_experiment(name, artifact_location, tag_list)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with this id (raises ResourceDoesNotExist)."""
        return self._store.get_experiment(str(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with this name, or None."""
        try:
            return self._store.get_experiment_by_name(name)
        except ResourceDoesNotExist:
            return None

    def search_experiments(self, view_type: int = ViewType.ACTIVE_ONLY,
                           max_results: int | None = SEARCH_MAX_RESULTS_DEFAULT, filter_string: str | None = None,
                           order_by: list[str] | None = None, page_token: str | None = None) -> PagedList[Experiment]:
        """One page of experiments matching ``filter_string``."""
        return self._store.search_experiments(
            ViewType.normalize(view_type), max_results or SEARCH_MAX_RESULTS_DEFAULT, filter_string,
            order_by, page_token,
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an experiment."""
        self._store.rename_experiment(str(experiment_id), new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        """Mark an experiment (and its runs) deleted."""
        self._store.delete_experiment(str(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        """Restore a deleted experiment."""
        self._store.restore_experiment(str(experiment_id))

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        """Set a tag on an experiment."""
        self._store.set_experiment_tag(str(experiment_id), RunTag(key, str(value)))

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag from an experiment."""
        self._store.delete_experiment_tag(str(experiment_id), key)

    # -- runs -----------------------------------------------------------------------------------
    def create_run(self, experiment_id: str, start_time: int | None = None, tags: dict[str, Any] | None = None,
                   run_name: str | None = None) -> Run:
        """Create a RUNNING run; ``mlflow.user`` is filled in when absent, and the store names
        unnamed runs (``adjective-noun-NNN``)."""
        tag_values = {k: str(v) for k, v in (tags or {}).items()}
        user = tag_values.setdefault("mlflow.user", config.current_user())
        return self._store.create_run(
            str(experiment_id), user, start_time if start_time is not None else _now_ms(),
            [RunTag(k, v) for k, v in tag_values.items()], run_name,
        )

    def get_run(self, run_id: str) -> Run:
        """The run with its latest metrics, params, tags and inputs."""
        return self._store.get_run(run_id)

    def get_parent_run(self, run_id: str) -> Run | None:
        """The run named by this run's ``mlflow.parentRunId`` tag, or None."""
        parent_id = self.get_run(run_id).data.tags.get("mlflow.parentRunId")
        return self.get_run(parent_id) if parent_id else None

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        """Change a run's status and/or name."""
        # The store leaves a None status or end time unchanged: no need to read the run first.
        self._store.update_run_info(run_id, RunStatus.normalize(status) if status is not None else None, None, name)

    def set_terminated(self, run_id: str, status: str | None = None, end_time: int | None = None) -> None:
        """End a run (FINISHED unless ``status`` says otherwise), writing queued logging first."""
        flush_async_logging()
        self._store.update_run_info(
            run_id, RunStatus.normalize(status or "FINISHED"), end_time if end_time is not None else _now_ms(), None
        )

    def delete_run(self, run_id: str) -> None:
        """Mark a run deleted."""
        self._store.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        """Restore a deleted run."""
        self._store.restore_run(run_id)

    def search_runs(self, experiment_ids: str | Sequence[str], filter_string: str = "",
                    run_view_type: int = ViewType.ACTIVE_ONLY, max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
                    order_by: list[str] | None = None, page_token: str | None = None) -> PagedList[Run]:
        """One page of runs of these experiments matching ``filter_string``."""
        ids = [experiment_ids] if isinstance(experiment_ids, (str, int)) else list(experiment_ids)
        return self._store.search_runs(
            [str(i) for i in ids], filter_string or None, ViewType.normalize(run_view_type), max_results,
            order_by, page_token,
        )

    def search_run_table(self, experiment_ids: str | Sequence[str], filter_string: str = "",
                         run_view_type: int = ViewType.ACTIVE_ONLY, max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
                         order_by: list[str] | None = None, page_token: str | None = None) -> RunTable:
        """``search_runs`` as columns (what ``runyard.search_runs`` turns into a DataFrame)."""
        ids = [experiment_ids] if isinstance(experiment_ids, (str, int)) else list(experiment_ids)
        return self._store.search_run_table(
            [str(i) for i in ids], filter_string or None, ViewType.normalize(run_view_type), max_results,
            order_by, page_token,
        )

    # -- logging --------------------------------------------------------------------------------
    def log_metric(self, run_id: str, key: str, value: float, timestamp: int | None = None, step: int | None = None,
                   synchronous: bool | None = None, dataset_name: str | None = None,
                   dataset_digest: str | None = None, model_id: str | None = None) -> RunOperations | None:
        """Log one metric point; returns RunOperations when queued (``synchronous=False``)."""
        metric = Metric(key, value if type(value) is float else metric_value(key, value),
                        timestamp if timestamp is not None else int(time.time() * 1000), step or 0,
                        None, dataset_name, dataset_digest, model_id)
        if _use_async(synchronous):
            return logging_queue().enqueue(self._store, run_id, metrics=(metric,))
        self._store.log_metric(run_id, metric)
        return None

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        """Log one param (stored as a string); returns ``value``, or RunOperations when queued."""
        param = Param(key, str(value))
        if _use_async(synchronous):
            return logging_queue().enqueue(self._store, run_id, params=(param,))
        self._store.log_param(run_id, param)
        return value

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> RunOperations | None:
        """Set a run tag; returns RunOperations when queued."""
        tag = RunTag(key, str(value))
        if _use_async(synchronous):
            return logging_queue().enqueue(self._store, run_id, tags=(tag,))
        self._store.set_tag(run_id, tag)
        return None

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a run tag."""
        self._store.delete_tag(run_id, key)

    def log_batch(self, run_id: str, metrics: Sequence[Metric] = (), params: Sequence[Param] = (),
                  tags: Sequence[RunTag] = (), synchronous: bool | None = None) -> RunOperations | None:
        """Log many metrics, params and tags, split into batches within the store's limits."""
        metric_list = [m if type(m) is Metric and type(m[1]) is float else _as_metric(m) for m in metrics]
        param_list = [p if type(p) is Param else Param(p.key, str(p.value)) for p in params]
        tag_list = [t if type(t) is RunTag else RunTag(t.key, str(t.value)) for t in tags]
        if _use_async(synchronous):
            return logging_queue().enqueue(self._store, run_id, metric_list, param_list, tag_list)
        for batch in split_batch(metric_list, param_list, tag_list):
            self._store.log_batch(run_id, *batch)
        return None

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput] | None = None,
                   models: Sequence[Any] | None = None) -> None:
        """Record dataset inputs of a run (model inputs are accepted and ignored for now)."""
        if datasets:
            self._store.log_inputs(run_id, list(datasets))

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every logged point of a metric (all pages)."""
        points: list[Metric] = []
        token: str | None = None
        while True:
            page = self._store.get_metric_history(run_id, key, None, token)
            points.extend(page)
            token = page.token
            if not token:
                return points


MlflowClient = RunyardClient
