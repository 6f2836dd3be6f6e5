"""``RestTrackingStore``: the tracking store interface over HTTP, against a runyard or MLflow server."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from runyard.entities import (
    DatasetInput,
    Experiment,
    LoggedModel,
    LoggedModelParameter,
    LoggedModelStatus,
    LoggedModelTag,
    Metric,
    ModelInput,
    ModelOutput,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from runyard import search, validation
from runyard.errors import InvalidParameterValue
from runyard.stores.rest.http_client import HttpClient
from runyard.stores.rest.run_views import RestRunViewsMixin
from runyard.stores.tracking import (
    SEARCH_LOGGED_MODELS_MAX_RESULTS_DEFAULT,
    SEARCH_LOGGED_MODELS_MAX_RESULTS_LIMIT,
    SEARCH_MAX_RESULTS_DEFAULT,
    TrackingStore,
)
from runyard.wire import codec, codec_models

HISTORY_PAGE_SIZE = 25_000


def _tags(tags: Sequence[Any] | Mapping[str, str] | None) -> list[dict[str, str]]:
    if not tags:
        return []
    if isinstance(tags, Mapping):
        return codec.encode_tags(tags)
    return [{"key": t.key, "value": t.value} for t in tags]


def _view(view_type: Any) -> str:
    return ViewType.to_string(ViewType.normalize(view_type))


def _model_id(model_id: Any) -> str:
    if not isinstance(model_id, str) or not model_id:
        raise InvalidParameterValue(f"Invalid model_id {model_id!r}: must be a non-empty string")
    return model_id


def _order_dict(clause: str) -> dict[str, Any]:
    """``"name DESC"`` (the string form runyard also accepts) as the wire's order-by object."""
    field, _, direction = clause.strip().partition(" ")
    return {"field_name": field, "ascending": direction.strip().upper() != "DESC"}


class RestTrackingStore(RestRunViewsMixin, TrackingStore):
    """Experiments, runs and logged models kept by a tracking server at ``uri`` (http/https).

    Arguments are checked here with the same rules the server applies, wherever JSON could not
    carry the mistake to the server intact (a bool for a number, a string for an int, ...).
    """

    def __init__(self, uri: str, default_artifact_root: str | None = None) -> None:
        self.uri = uri
        self.http = HttpClient(uri)

    def close(self) -> None:
        """Close this thread's connection to the server (the artifact pool is shared)."""
        self.http.close()

    # -- experiments -----------------------------------------------------------------------------
    def create_experiment(self, name, artifact_location=None, tags=None) -> str:
        validation.validate_experiment_name(name)
        body: dict[str, Any] = {"name": name, "tags": _tags(tags)}
        if artifact_location:
            body["artifact_location"] = artifact_location
        return str(self.http.call("CreateExperiment", body)["experiment_id"])

    def get_experiment(self, experiment_id: str) -> Experiment:
        return codec.decode_experiment(self.http.call("GetExperiment", {"experiment_id": str(experiment_id)})["experiment"])

    def get_experiment_by_name(self, name: str) -> Experiment:
        if not isinstance(name, str):
            raise InvalidParameterValue(f"Invalid experiment name {name!r}: must be a string")
        return codec.decode_experiment(self.http.call("GetExperimentByName", {"experiment_name": name})["experiment"])

    def search_experiments(self, view_type=ViewType.ACTIVE_ONLY, max_results=SEARCH_MAX_RESULTS_DEFAULT,
                           filter_string=None, order_by=None, page_token=None) -> PagedList[Experiment]:
        body = {"view_type": _view(view_type), "max_results": max_results, "filter": filter_string,
                "order_by": list(order_by or ()), "page_token": page_token}
        answer = self.http.call("SearchExperiments", {k: v for k, v in body.items() if v is not None})
        return PagedList([codec.decode_experiment(e) for e in answer.get("experiments", ())],
                         answer.get("next_page_token") or None)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self.http.call("UpdateExperiment", {"experiment_id": str(experiment_id), "new_name": new_name})

    def delete_experiment(self, experiment_id: str) -> None:
        self.http.call("DeleteExperiment", {"experiment_id": str(experiment_id)})

    def restore_experiment(self, experiment_id: str) -> None:
        self.http.call("RestoreExperiment", {"experiment_id": str(experiment_id)})

    def set_experiment_tag(self, experiment_id: str, tag) -> None:
        self.http.call("SetExperimentTag", {"experiment_id": str(experiment_id), "key": tag.key, "value": tag.value})

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self.http.call("DeleteExperimentTag", {"experiment_id": str(experiment_id), "key": key})

    # -- runs ------------------------------------------------------------------------------------
    def create_run(self, experiment_id, user_id, start_time, tags, run_name) -> Run:
        body = {"experiment_id": str(experiment_id), "user_id": user_id, "start_time": start_time,
                "tags": _tags(tags), "run_name": run_name}
        answer = self.http.call("CreateRun", {k: v for k, v in body.items() if v is not None})
        return codec.decode_run(answer["run"])

    def get_run(self, run_id: str) -> Run:
        return codec.decode_run(self.http.call("GetRun", {"run_id": run_id, "run_uuid": run_id})["run"])

    def update_run_info(self, run_id, run_status, end_time, run_name) -> RunInfo:
        body: dict[str, Any] = {"run_id": run_id, "run_uuid": run_id}
        if run_status is not None:
            body["status"] = RunStatus.normalize(run_status)
        if end_time is not None:
            body["end_time"] = end_time
        if run_name:
            body["run_name"] = run_name
        answer = self.http.call("UpdateRun", body)
        if "run_info" in answer:
            return codec.decode_run_info(answer["run_info"])
        return self.get_run(run_id).info

    def delete_run(self, run_id: str) -> None:
        self.http.call("DeleteRun", {"run_id": run_id})

    def restore_run(self, run_id: str) -> None:
        self.http.call("RestoreRun", {"run_id": run_id})

    def search_runs(self, experiment_ids, filter_string=None, run_view_type=ViewType.ACTIVE_ONLY,
                    max_results=SEARCH_MAX_RESULTS_DEFAULT, order_by=None, page_token=None) -> PagedList[Run]:
        body = {"experiment_ids": [str(e) for e in experiment_ids], "filter": filter_string or None,
                "run_view_type": _view(run_view_type), "max_results": max_results,
                "order_by": list(order_by or ()), "page_token": page_token}
        answer = self.http.call("SearchRuns", {k: v for k, v in body.items() if v is not None})
        return PagedList([codec.decode_run(r) for r in answer.get("runs", ())], answer.get("next_page_token") or None)

    # -- logging ---------------------------------------------------------------------------------
    def log_metric(self, run_id: str, metric: Metric) -> None:
        validation.validate_metric(metric.key, metric.value, metric.timestamp, metric.step)
        body = {"run_id": run_id, "run_uuid": run_id, **codec.encode_metric(metric)}
        self.http.call("LogMetric", body)

    def log_param(self, run_id: str, param: Param) -> None:
        self.http.call("LogParam", {"run_id": run_id, "run_uuid": run_id, "key": param.key, "value": param.value})

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        self.http.call("SetTag", {"run_id": run_id, "run_uuid": run_id, "key": tag.key, "value": tag.value})

    def log_batch(self, run_id, metrics=(), params=(), tags=()) -> None:
        validation.validate_batch_sizes(metrics, params, tags)
        for m in metrics:
            validation.validate_metric(m.key, m.value, m.timestamp, m.step)
        body = {
            "run_id": run_id,
            "metrics": [codec.encode_metric(m) for m in metrics],
            "params": [{"key": p.key, "value": p.value} for p in params],
            "tags": _tags(tags),
        }
        self.http.call("LogBatch", body)

    def delete_tag(self, run_id: str, key: str) -> None:
        self.http.call("DeleteTag", {"run_id": run_id, "key": key})

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput] | None = None,
                   models: Sequence[ModelInput | str] | None = None) -> None:
        body: dict[str, Any] = {"run_id": run_id,
                                "datasets": [codec.encode_dataset_input(d) for d in datasets or ()]}
        if models:
            body["models"] = [{"model_id": m if isinstance(m, str) else m.model_id} for m in models]
        self.http.call("LogInputs", body)

    def log_outputs(self, run_id: str, models: Sequence[ModelOutput]) -> None:
        self.http.call("LogOutputs", {"run_id": run_id,
                                      "models": [{"model_id": m.model_id, "step": m.step} for m in models]})

    def get_metric_history(self, run_id, metric_key, max_results=None, page_token=None) -> PagedList[Metric]:
        query: dict[str, Any] = {"run_id": run_id, "run_uuid": run_id, "metric_key": metric_key}
        if max_results is not None or page_token is not None:
            query.update(max_results=max_results, page_token=page_token)
            answer = self.http.call("GetMetricHistory", {k: v for k, v in query.items() if v is not None})
            return PagedList([codec.decode_metric(m) for m in answer.get("metrics", ())],
                             answer.get("next_page_token") or None)
        points: list[Metric] = []
        token = None
        while True:
            page = {**query, "max_results": HISTORY_PAGE_SIZE}
            if token:
                page["page_token"] = token
            answer = self.http.call("GetMetricHistory", page)
            points.extend(codec.decode_metric(m) for m in answer.get("metrics", ()))
            token = answer.get("next_page_token")
            if not token:
                return PagedList(points, None)

    # -- logged models ---------------------------------------------------------------------------
    def create_logged_model(self, experiment_id, name=None, source_run_id=None, tags=None, params=None,
                            model_type=None) -> LoggedModel:
        body = {"experiment_id": str(experiment_id), "name": name, "source_run_id": source_run_id,
                "model_type": model_type, "tags": _tags(tags), "params": _tags(params)}
        answer = self.http.call("CreateLoggedModel", {k: v for k, v in body.items() if v is not None})
        return codec_models.decode_logged_model(answer["model"])

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        query = {"allow_deleted": True} if allow_deleted else {}
        answer = self.http.call("GetLoggedModel", query, model_id=_model_id(model_id))
        return codec_models.decode_logged_model(answer["model"])

    def finalize_logged_model(self, model_id: str, status) -> LoggedModel:
        answer = self.http.call("FinalizeLoggedModel", {"model_id": model_id,
                                                         "status": LoggedModelStatus.to_wire(status)},
                                model_id=_model_id(model_id))
        return codec_models.decode_logged_model(answer["model"])

    def delete_logged_model(self, model_id: str) -> None:
        self.http.call("DeleteLoggedModel", {"model_id": model_id}, model_id=_model_id(model_id))

    def set_logged_model_tags(self, model_id: str, tags: Sequence[LoggedModelTag]) -> None:
        self.http.call("SetLoggedModelTags", {"model_id": model_id, "tags": _tags(tags)}, model_id=_model_id(model_id))

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self.http.call("DeleteLoggedModelTag", {"model_id": model_id, "tag_key": key}, model_id=model_id,
                       tag_key=key)

    def log_logged_model_params(self, model_id: str, params: Sequence[LoggedModelParameter]) -> None:
        self.http.call("LogLoggedModelParams", {"model_id": model_id, "params": _tags(params)}, model_id=_model_id(model_id))

    def search_logged_models(self, experiment_ids, filter_string=None, datasets=None, max_results=None,
                             order_by=None, page_token=None) -> PagedList[LoggedModel]:
        validation.validate_max_results(
            SEARCH_LOGGED_MODELS_MAX_RESULTS_DEFAULT if max_results is None else max_results,
            SEARCH_LOGGED_MODELS_MAX_RESULTS_LIMIT,
        )
        search.parse_logged_model_order_by(order_by)
        order_by = [o if isinstance(o, Mapping) else _order_dict(o) for o in order_by or ()]
        body = {"experiment_ids": [str(e) for e in experiment_ids], "filter": filter_string,
                "datasets": list(datasets) if datasets else None, "max_results": max_results,
                "order_by": [dict(o) for o in order_by] if order_by else None, "page_token": page_token}
        answer = self.http.call("SearchLoggedModels", {k: v for k, v in body.items() if v is not None})
        return PagedList([codec_models.decode_logged_model(m) for m in answer.get("models", ())],
                         answer.get("next_page_token") or None)
