"""Handlers of the tracking routes: decoded request message in, JSON-ready dict out."""

from __future__ import annotations

import json
from typing import Any, Callable

from runyard.entities import Metric, ModelOutput, Param, RunTag, ViewType
from runyard.errors import InvalidParameterValue
from runyard.server.context import Context
from runyard.stores.tracking import SEARCH_MAX_RESULTS_DEFAULT, SEARCH_MAX_RESULTS_LIMIT
from runyard.wire import codec

HISTORY_PAGE_LIMIT = 25_000
BULK_RUN_LIMIT = 100

Handler = Callable[[Context, dict[str, Any]], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def handles(message: str):
    def register(fn: Handler) -> Handler:
        HANDLERS[message] = fn
        return fn
    return register


def _run_id(msg: dict[str, Any]) -> str:
    run_id = msg.get("run_id") or msg.get("run_uuid")
    if not run_id:
        raise InvalidParameterValue("Missing value for required parameter 'run_id'.")
    return run_id


def _tags(items) -> list[RunTag]:
    return [RunTag(t.get("key", ""), t.get("value", "")) for t in items or ()]


def _max_results(msg: dict[str, Any], default: int, limit: int) -> int:
    value = msg.get("max_results", default)
    if value <= 0 or value > limit:
        raise InvalidParameterValue(
            f"Invalid value {value} for parameter 'max_results' supplied: it must be between 1 and {limit}"
        )
    return value


# -- experiments ----------------------------------------------------------------------------------
@handles("CreateExperiment")
def create_experiment(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    location = msg.get("artifact_location") or None
    if location is not None:
        ctx.artifacts.check_client_location(location)
    experiment_id = ctx.tracking.create_experiment(msg["name"], location, _tags(msg.get("tags")))
    return {"experiment_id": experiment_id}


@handles("SearchExperiments")
def search_experiments(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    page = ctx.tracking.search_experiments(
        view_type=ViewType.normalize(msg.get("view_type")),
        max_results=_max_results(msg, SEARCH_MAX_RESULTS_DEFAULT, SEARCH_MAX_RESULTS_LIMIT),
        filter_string=msg.get("filter"),
        order_by=msg.get("order_by"),
        page_token=msg.get("page_token"),
    )
    body = codec.put_list({}, "experiments", [codec.encode_experiment(e) for e in page])
    if page.token:
        body["next_page_token"] = page.token
    return body


@handles("GetExperiment")
def get_experiment(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    return {"experiment": codec.encode_experiment(ctx.tracking.get_experiment(msg["experiment_id"]))}


@handles("GetExperimentByName")
def get_experiment_by_name(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    return {"experiment": codec.encode_experiment(ctx.tracking.get_experiment_by_name(msg["experiment_name"]))}


@handles("DeleteExperiment")
def delete_experiment(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.tracking.delete_experiment(msg["experiment_id"])
    return {}


@handles("RestoreExperiment")
def restore_experiment(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.tracking.restore_experiment(msg["experiment_id"])
    return {}


@handles("UpdateExperiment")
def update_experiment(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    if msg.get("new_name"):
        ctx.tracking.rename_experiment(msg["experiment_id"], msg["new_name"])
    return {}


@handles("SetExperimentTag")
def set_experiment_tag(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.tracking.set_experiment_tag(msg["experiment_id"], RunTag(msg["key"], msg.get("value", "")))
    return {}


@handles("DeleteExperimentTag")
def delete_experiment_tag(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.tracking.delete_experiment_tag(msg["experiment_id"], msg["key"])
    return {}


# -- runs -----------------------------------------------------------------------------------------
@handles("CreateRun")
def create_run(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    run = ctx.tracking.create_run(
        experiment_id=msg.get("experiment_id") or "0",
        user_id=msg.get("user_id"),
        start_time=msg.get("start_time"),
        tags=_tags(msg.get("tags")),
        run_name=msg.get("run_name") or None,
    )
    body = codec.encode_run(run)
    if not body["outputs"]:
        del body["outputs"]  # MLflow's create answer has no outputs; its get answer has them, empty
    return {"run": body}


@handles("UpdateRun")
def update_run(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    info = ctx.tracking.update_run_info(_run_id(msg), msg.get("status"), msg.get("end_time"),
                                        msg.get("run_name") or None)
    return {"run_info": codec.encode_run_info(info)}


@handles("DeleteRun")
def delete_run(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.tracking.delete_run(msg["run_id"])
    return {}


@handles("RestoreRun")
def restore_run(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.tracking.restore_run(msg["run_id"])
    return {}


@handles("GetRun")
def get_run(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    return {"run": codec.encode_run(ctx.tracking.get_run(_run_id(msg)))}


@handles("SearchRuns")
def search_runs(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    page = ctx.tracking.search_runs(
        experiment_ids=msg.get("experiment_ids") or [],
        filter_string=msg.get("filter"),
        run_view_type=ViewType.normalize(msg.get("run_view_type")),
        max_results=_max_results(msg, SEARCH_MAX_RESULTS_DEFAULT, SEARCH_MAX_RESULTS_LIMIT),
        order_by=msg.get("order_by"),
        page_token=msg.get("page_token"),
    )
    body = codec.put_list({}, "runs", [codec.encode_run(r) for r in page])
    if page.token:
        body["next_page_token"] = page.token
    return body


# -- logging --------------------------------------------------------------------------------------
@handles("LogMetric")
def log_metric(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    run_id = _run_id(msg)
    metric = Metric(msg["key"], msg["value"], msg["timestamp"], msg.get("step", 0), run_id,
                    msg.get("dataset_name"), msg.get("dataset_digest"), msg.get("model_id"))
    ctx.tracking.log_metric(run_id, metric)
    return {}


@handles("LogParam")
def log_param(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.tracking.log_param(_run_id(msg), Param(msg["key"], msg.get("value", "")))
    return {}


@handles("SetTag")
def set_tag(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.tracking.set_tag(_run_id(msg), RunTag(msg["key"], msg.get("value", "")))
    return {}


@handles("DeleteTag")
def delete_tag(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    ctx.tracking.delete_tag(msg["run_id"], msg["key"])
    return {}


@handles("LogBatch")
def log_batch(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    run_id = _run_id(msg)
    # The message decoder has checked each point's fields and types.
    metrics = [Metric(m["key"], m["value"], m["timestamp"], m.get("step", 0), run_id,
                      m.get("dataset_name"), m.get("dataset_digest"), m.get("model_id"))
               for m in msg.get("metrics") or ()]
    params = [Param(p.get("key", ""), p.get("value", "")) for p in msg.get("params") or ()]
    ctx.tracking.log_batch(run_id, metrics=metrics, params=params, tags=_tags(msg.get("tags")))
    return {}


@handles("LogInputs")
def log_inputs(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    datasets = [codec.decode_dataset_input(d) for d in msg.get("datasets") or ()]
    models = [m["model_id"] for m in msg.get("models") or ()]
    ctx.tracking.log_inputs(msg["run_id"], datasets, models=models or None)
    return {}


@handles("LogOutputs")
def log_outputs(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    outputs = [ModelOutput(m["model_id"], m["step"]) for m in msg.get("models") or ()]
    ctx.tracking.log_outputs(msg["run_id"], outputs)
    return {}


@handles("GetMetricHistory")
def get_metric_history(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    max_results = msg.get("max_results")
    if max_results is not None and max_results <= 0:
        raise InvalidParameterValue(
            f"Invalid value {max_results} for parameter 'max_results' supplied: it must be positive"
        )
    page = ctx.tracking.get_metric_history(_run_id(msg), msg["metric_key"], max_results, msg.get("page_token"))
    body = codec.put_list({}, "metrics", [codec.encode_metric(m) for m in page])
    if page.token:
        body["next_page_token"] = page.token
    return body


@handles("GetMetricHistoryBulkInterval")
def get_metric_history_bulk_interval(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    run_ids = msg.get("run_ids") or []
    if not run_ids:
        raise InvalidParameterValue("Missing value for required parameter 'run_ids'.")
    if len(run_ids) > BULK_RUN_LIMIT:
        raise InvalidParameterValue(f"Parameter 'run_ids' has {len(run_ids)} values; at most {BULK_RUN_LIMIT}")
    max_results = _max_results(msg, HISTORY_PAGE_LIMIT, HISTORY_PAGE_LIMIT)
    start, end = msg.get("start_step"), msg.get("end_step")
    if (start is None) != (end is None) or (start is not None and start > end):
        raise InvalidParameterValue("'start_step' and 'end_step' must be given together, start <= end")
    out = []
    for run_id in run_ids:
        points = [m for m in ctx.tracking.get_metric_history(run_id, msg["metric_key"])
                  if start is None or start <= m.step <= end]
        for m in _sample_by_step(points, max_results):
            out.append(codec.encode_metric(m._replace(run_id=run_id), with_run_id=True))
    return codec.put_list({}, "metrics", out)


def _sample_by_step(points: list[Metric], max_results: int) -> list[Metric]:
    """At most ``max_results`` points at evenly spread steps, always keeping the first and last step."""
    steps = sorted({m.step for m in points})
    if len(steps) > max_results:
        stride = (len(steps) - 1) / (max_results - 1) if max_results > 1 else len(steps)
        chosen = {steps[round(i * stride)] for i in range(max_results)} if max_results > 1 else {steps[0]}
        chosen.add(steps[-1])
        points = [m for m in points if m.step in chosen]
    return sorted(points, key=lambda m: (m.step, m.timestamp))


@handles("LogModel")
def log_model(ctx: Context, msg: dict[str, Any]) -> dict[str, Any]:
    """Legacy: append an MLmodel description to the run's ``mlflow.log-model.history`` tag."""
    run_id = _run_id(msg)
    try:
        model = json.loads(msg.get("model_json") or "")
    except ValueError:
        raise InvalidParameterValue("Invalid value for parameter 'model_json': not JSON") from None
    missing = [k for k in ("artifact_path", "flavors", "utc_time_created") if not isinstance(model, dict) or k not in model]
    if missing:
        raise InvalidParameterValue(f"Invalid value for parameter 'model_json': missing {', '.join(missing)}")
    run = ctx.tracking.get_run(run_id)
    history = json.loads(run.data.tags.get("mlflow.log-model.history", "[]"))
    history.append({**model, "run_id": run_id})
    ctx.tracking.set_tag(run_id, RunTag("mlflow.log-model.history", json.dumps(history)))
    return {}
