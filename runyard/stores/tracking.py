"""The tracking store interface: what every backend (SQL, REST) must do.

Verbs follow the REST API. ``get_*`` raises ``ResourceDoesNotExist`` rather than returning None.
Every implementation validates its input (keys, limits, types) so that no path into a store,
the server included, can bypass the rules.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Mapping, Sequence

from runyard.entities import (
    DatasetInput,
    Experiment,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    LoggedModelParameter,
    LoggedModelTag,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunTable,
    RunTag,
    ViewType,
)
from runyard.entities.metric_summaries import RunMetricSummary
from runyard.entities.run_views import BUCKETS_DEFAULT, RUN_KEYS_DEFAULT, DownsampledSeries, RunGroups, RunKeys
from runyard.errors import NotImplementedFeature

SEARCH_MAX_RESULTS_DEFAULT = 1000
SEARCH_MAX_RESULTS_LIMIT = 50000
# MLflow's store default for logged models (the proto says 50; the client sends its own). MLflow
# enforces no ceiling here; runyard applies the run-search limit.
SEARCH_LOGGED_MODELS_MAX_RESULTS_DEFAULT = 100
SEARCH_LOGGED_MODELS_MAX_RESULTS_LIMIT = SEARCH_MAX_RESULTS_LIMIT


class TrackingStore(ABC):
    """Experiments, runs, metrics, params, tags, dataset inputs and logged models."""

    # -- experiments -------------------------------------------------------------------------
    @abstractmethod
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: Sequence[RunTag] | None = None
    ) -> str: ...

    @abstractmethod
    def get_experiment(self, experiment_id: str) -> Experiment: ...

    @abstractmethod
    def get_experiment_by_name(self, name: str) -> Experiment: ...

    @abstractmethod
    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]: ...

    @abstractmethod
    def rename_experiment(self, experiment_id: str, new_name: str) -> None: ...

    @abstractmethod
    def delete_experiment(self, experiment_id: str) -> None: ...

    @abstractmethod
    def restore_experiment(self, experiment_id: str) -> None: ...

    @abstractmethod
    def set_experiment_tag(self, experiment_id: str, tag: RunTag) -> None: ...

    @abstractmethod
    def delete_experiment_tag(self, experiment_id: str, key: str) -> None: ...

    # -- runs --------------------------------------------------------------------------------
    @abstractmethod
    def create_run(
        self,
        experiment_id: str,
        user_id: str | None,
        start_time: int | None,
        tags: Sequence[RunTag],
        run_name: str | None,
    ) -> Run: ...

    @abstractmethod
    def get_run(self, run_id: str) -> Run: ...

    @abstractmethod
    def update_run_info(
        self, run_id: str, run_status: str | int | None, end_time: int | None, run_name: str | None
    ) -> RunInfo: ...

    @abstractmethod
    def delete_run(self, run_id: str) -> None: ...

    @abstractmethod
    def restore_run(self, run_id: str) -> None: ...

    @abstractmethod
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]: ...

    def search_run_table(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> RunTable:
        """``search_runs`` as columns, for DataFrames. Stores with a faster columnar read
        override this; the default builds the table from ``search_runs``."""
        page = self.search_runs(experiment_ids, filter_string, run_view_type, max_results, order_by, page_token)
        return RunTable.from_runs(page, page.token)

    # -- what the web UI reads (runyard's own routes; a plain MLflow server has none of them) ----
    def search_run_keys(self, experiment_ids: Sequence[str], kind: str, prefix: str = "",
                        max_results: int = RUN_KEYS_DEFAULT) -> RunKeys:
        """Distinct ``kind`` keys (``metrics``, ``params`` or ``tags``) of the experiments' runs,
        sorted, those starting with ``prefix`` (case-insensitive), at most ``max_results``."""
        raise NotImplementedFeature(f"{type(self).__name__} cannot list run keys")

    def count_runs(self, experiment_ids: Sequence[str], filter_string: str | None = None,
                   run_view_type: int = ViewType.ACTIVE_ONLY) -> int:
        """How many runs ``search_runs`` would find with this filter."""
        raise NotImplementedFeature(f"{type(self).__name__} cannot count runs")

    def group_runs(self, experiment_ids: Sequence[str], group_by: str, metric_keys: Sequence[str] = (),
                   filter_string: str | None = None, run_view_type: int = ViewType.ACTIVE_ONLY) -> RunGroups:
        """The matching runs grouped by ``group_by`` (``params.<key>``, ``tags.<key>`` or a run
        attribute), with the count and the mean, min and max of each metric's latest value per group."""
        raise NotImplementedFeature(f"{type(self).__name__} cannot group runs")

    def get_metric_downsampled(self, run_id: str, metric_key: str, x_axis: str = "step",
                               buckets: int = BUCKETS_DEFAULT, min_x: int | None = None,
                               max_x: int | None = None) -> DownsampledSeries:
        """A metric's points with ``x_axis`` in [min_x, max_x]: all of them when there are at most
        2 x ``buckets``, else the first, the last, and the lowest and highest point of each of
        ``buckets`` equal-width x buckets."""
        raise NotImplementedFeature(f"{type(self).__name__} cannot downsample metric histories")

    def get_metric_summaries(self, run_ids: Sequence[str],
                             metric_keys: Sequence[str] | None = None) -> list[RunMetricSummary]:
        """Last, min, max, mean and count of each metric (all of them, or ``metric_keys``) of each
        run, over the whole history; NaN points are counted but left out of min, max and mean.
        Ordered as ``run_ids`` (at most 500), then by key; unknown runs have no summaries."""
        raise NotImplementedFeature(f"{type(self).__name__} cannot summarise metric histories")

    # -- logging -----------------------------------------------------------------------------
    @abstractmethod
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None: ...

    def log_metric(self, run_id: str, metric: Metric) -> None:
        self.log_batch(run_id, metrics=(metric,))

    def log_param(self, run_id: str, param: Param) -> None:
        self.log_batch(run_id, params=(param,))

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        self.log_batch(run_id, tags=(tag,))

    @abstractmethod
    def delete_tag(self, run_id: str, key: str) -> None: ...

    @abstractmethod
    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] | None = None,
        models: Sequence[LoggedModelInput | str] | None = None,
    ) -> None:
        """Record datasets and logged models (``LoggedModelInput`` or bare model ids) a run used."""

    @abstractmethod
    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        """Record logged models a run produced (``get_run(...).outputs.model_outputs``)."""

    @abstractmethod
    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]: ...

    # -- logged models (MLflow 3) ------------------------------------------------------------
    @abstractmethod
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Sequence[LoggedModelTag] | None = None,
        params: Sequence[LoggedModelParameter] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        """A new PENDING model in an active experiment; a generated name when ``name`` is None."""

    @abstractmethod
    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel: ...

    @abstractmethod
    def finalize_logged_model(self, model_id: str, status: str | int) -> LoggedModel:
        """Set the status (``READY``, ``UPLOAD_FAILED``, or the wire name or number)."""

    @abstractmethod
    def delete_logged_model(self, model_id: str) -> None:
        """Soft delete: searches skip the model and ``get_logged_model`` raises unless allow_deleted."""

    @abstractmethod
    def set_logged_model_tags(self, model_id: str, tags: Sequence[LoggedModelTag]) -> None: ...

    @abstractmethod
    def delete_logged_model_tag(self, model_id: str, key: str) -> None: ...

    @abstractmethod
    def log_logged_model_params(self, model_id: str, params: Sequence[LoggedModelParameter]) -> None: ...

    @abstractmethod
    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Sequence[Mapping[str, Any]] | None = None,
        max_results: int | None = None,
        order_by: Sequence[Mapping[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        """Active models of the experiments. ``datasets`` (``[{"dataset_name", "dataset_digest"}]``)
        restricts metric filters to points logged against those datasets; ``order_by`` holds
        ``{"field_name", "ascending", "dataset_name", "dataset_digest"}`` objects. Default order:
        creation_timestamp DESC, model_id ASC; default max_results 100."""
