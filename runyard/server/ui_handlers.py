"""runyard's own data routes for the web UI (``/ajax-api/2.0/runyard/...``, twinned under ``/api``)
and MLflow's artifact preview routes (``/get-artifact``, ``/model-versions/get-artifact``).

Raw handlers: query string or JSON body in, JSON out; bad input is MLflow's error envelope naming
the parameter and its limit. Everything that touches a store runs on a worker thread.
"""

from __future__ import annotations

import asyncio
import json
import posixpath
from typing import Any, Awaitable, Callable

from runyard.entities import FileInfo, Run, ViewType
from runyard.entities.metric_summaries import MAX_BULK_SERIES_RUNS, MAX_SUMMARY_RUNS, RunSeries, check_run_ids
from runyard.entities.run_diff import MAX_DIFF_ARTIFACTS, diff_runs
from runyard.entities.run_views import BUCKETS_DEFAULT, RUN_KEYS_DEFAULT, check_experiment_ids
from runyard.errors import BadRequest, InvalidParameterValue, PermissionDenied
from runyard.server import http
from runyard.server.artifact_proxy import stream_artifact
from runyard.server.context import Context
from runyard.wire import codec_views

RawHandler = Callable[[Context, http.Request, http.Send], Awaitable[None]]
_PREFIXES = ("/api/2.0/runyard", "/ajax-api/2.0/runyard")


async def _in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


class Query:
    """The query string of a request, read by parameter name."""

    def __init__(self, request: http.Request) -> None:
        self.values: dict[str, list[str]] = {}
        for name, value in request.query_pairs():
            self.values.setdefault(name, []).append(value)

    def text(self, name: str, default: str | None = None) -> str | None:
        found = self.values.get(name)
        return found[-1] if found else default

    def required(self, name: str) -> str:
        value = self.text(name)
        if not value:
            raise InvalidParameterValue(f"Missing value for required parameter '{name}'.")
        return value

    def many(self, name: str) -> list[str]:
        return [v for v in self.values.get(name, ()) if v != ""]

    def integer(self, name: str, default: int | None) -> int | None:
        value = self.text(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise InvalidParameterValue(
                f"Invalid value {value!r} for parameter '{name}' supplied: it must be an integer") from None


def _view(value: Any) -> int:
    try:
        return ViewType.normalize(value or None)
    except InvalidParameterValue:
        raise InvalidParameterValue(
            f"Invalid value {value!r} for parameter 'run_view_type' supplied: it must be one of "
            "ACTIVE_ONLY, DELETED_ONLY, ALL") from None


def _tracking_route(fn: RawHandler) -> RawHandler:
    async def guarded(ctx: Context, request: http.Request, send: http.Send) -> None:
        if ctx.settings.artifacts_only:
            await http.send_text(send, "This server runs with --artifacts-only: tracking routes are off", 503)
            return
        await fn(ctx, request, send)
    return guarded


async def run_keys(ctx: Context, request: http.Request, send: http.Send) -> None:
    query = Query(request)
    found = await _in_thread(
        ctx.tracking.search_run_keys, check_experiment_ids(query.many("experiment_ids")), query.required("kind"),
        query.text("prefix", ""), query.integer("max_results", RUN_KEYS_DEFAULT))
    await http.send_json(send, codec_views.encode_run_keys(found), extra=request.extra_headers)


async def run_count(ctx: Context, request: http.Request, send: http.Send) -> None:
    query = Query(request)
    count = await _in_thread(ctx.tracking.count_runs, check_experiment_ids(query.many("experiment_ids")),
                             query.text("filter") or None, _view(query.text("run_view_type")))
    await http.send_json(send, {"count": count}, extra=request.extra_headers)


async def _json_body(ctx: Context, request: http.Request) -> dict[str, Any]:
    content_type = (request.header(b"content-type") or "").split(";", 1)[0].strip().lower()
    if content_type != "application/json":
        raise InvalidParameterValue("Bad Request. Content-Type must be 'application/json' for this request")
    raw = await request.body(ctx.settings.max_request_bytes)
    try:
        body = json.loads(raw) if raw else {}
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("Malformed JSON in the request body") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object")
    return body


async def group_runs(ctx: Context, request: http.Request, send: http.Send) -> None:
    body = await _json_body(ctx, request)
    filter_string, experiment_ids = body.get("filter"), body.get("experiment_ids")
    if filter_string is not None and not isinstance(filter_string, str):
        raise InvalidParameterValue("Invalid value for parameter 'filter' supplied: it must be a string")
    if not isinstance(experiment_ids, list):
        raise InvalidParameterValue("Missing value for required parameter 'experiment_ids' (a list of ids).")
    groups = await _in_thread(
        ctx.tracking.group_runs, check_experiment_ids(experiment_ids), body.get("group_by"),
        body.get("metrics") or [], filter_string or None, _view(body.get("run_view_type")))
    await http.send_json(send, codec_views.encode_run_groups(groups), extra=request.extra_headers)


async def downsampled_metric(ctx: Context, request: http.Request, send: http.Send) -> None:
    query = Query(request)
    series = await _in_thread(
        ctx.tracking.get_metric_downsampled, query.required("run_id"), query.required("metric_key"),
        query.text("x_axis", "step") or "step", query.integer("buckets", BUCKETS_DEFAULT),
        query.integer("min_x", None), query.integer("max_x", None))
    await http.send_json(send, codec_views.encode_series(series), extra=request.extra_headers)


async def metric_summaries(ctx: Context, request: http.Request, send: http.Send) -> None:
    """``{"run_ids": [...], "metric_keys": [...]?}`` -> last, min, max, mean and count per run and key."""
    body = await _json_body(ctx, request)
    run_ids = check_run_ids(body.get("run_ids"), MAX_SUMMARY_RUNS)
    summaries = await _in_thread(ctx.tracking.get_metric_summaries, run_ids, body.get("metric_keys"))
    await http.send_json(send, codec_views.encode_metric_summaries(summaries), extra=request.extra_headers)


def _bulk_series(ctx: Context, run_ids: list[str], body: dict[str, Any]) -> list[RunSeries]:
    key = body.get("metric_key")
    if not isinstance(key, str) or not key:
        raise InvalidParameterValue("Missing value for required parameter 'metric_key'.")
    x_axis, buckets = body.get("x_axis") or "step", body.get("buckets", BUCKETS_DEFAULT)
    min_x, max_x = body.get("min_x"), body.get("max_x")
    return [RunSeries(run_id, ctx.tracking.get_metric_downsampled(run_id, key, x_axis, buckets, min_x, max_x))
            for run_id in run_ids]


async def downsampled_metric_bulk(ctx: Context, request: http.Request, send: http.Send) -> None:
    """One metric's downsampled series for many runs in one request (a chart of many runs)."""
    body = await _json_body(ctx, request)
    run_ids = check_run_ids(body.get("run_ids"), MAX_BULK_SERIES_RUNS)
    series = await _in_thread(_bulk_series, ctx, run_ids, body)
    await http.send_json(send, codec_views.encode_bulk_series(series), extra=request.extra_headers)


def _artifact_files(ctx: Context, run: Run) -> tuple[list[FileInfo], bool]:
    """The run's artifact files, relative to its artifact root; none when the server may not open it."""
    try:
        store, base = ctx.artifacts.store_for(run.info.artifact_uri)
    except PermissionDenied:
        return [], False
    files, truncated = store.list_files(base or None, MAX_DIFF_ARTIFACTS)
    if base:
        files = [FileInfo(posixpath.relpath(f.path, base), f.is_dir, f.file_size) for f in files]
    return files, truncated


def _diff(ctx: Context, run_a: str, run_b: str) -> dict[str, Any]:
    a, b = ctx.tracking.get_run(run_a), ctx.tracking.get_run(run_b)
    files_a, cut_a = _artifact_files(ctx, a)
    files_b, cut_b = _artifact_files(ctx, b)
    return codec_views.encode_run_diff(diff_runs(a, b, files_a, files_b, cut_a or cut_b))


async def run_diff(ctx: Context, request: http.Request, send: http.Send) -> None:
    query = Query(request)
    body = await _in_thread(_diff, ctx, query.required("run_a"), query.required("run_b"))
    await http.send_json(send, body, extra=request.extra_headers)


async def run_artifact(ctx: Context, request: http.Request, send: http.Send) -> None:
    """MLflow's ``/get-artifact?run_uuid=&path=`` (``run_id`` accepted too)."""
    query = Query(request)
    run_id = query.text("run_uuid") or query.text("run_id")
    if not run_id:
        raise InvalidParameterValue("Missing value for required parameter 'run_id'.")
    path = query.required("path")
    run = await _in_thread(ctx.tracking.get_run, run_id)
    await stream_artifact(ctx, run.info.artifact_uri, path, request, send)


async def model_version_artifact(ctx: Context, request: http.Request, send: http.Send) -> None:
    """MLflow's ``/model-versions/get-artifact?name=&version=&path=``."""
    query = Query(request)
    name, version, path = query.required("name"), query.required("version"), query.required("path")
    uri = await _in_thread(ctx.registry.get_model_version_download_uri, name, version)
    await stream_artifact(ctx, uri, path, request, send)


def ui_routes() -> dict[tuple[str, str], RawHandler]:
    """(method, path) -> handler for every route of this module."""
    routes: dict[tuple[str, str], RawHandler] = {}
    for prefix in _PREFIXES:
        routes[("GET", f"{prefix}/runs/keys")] = _tracking_route(run_keys)
        routes[("GET", f"{prefix}/runs/count")] = _tracking_route(run_count)
        routes[("POST", f"{prefix}/runs/group")] = _tracking_route(group_runs)
        routes[("GET", f"{prefix}/metrics/downsampled")] = _tracking_route(downsampled_metric)
        routes[("POST", f"{prefix}/metrics/downsampled-bulk")] = _tracking_route(downsampled_metric_bulk)
        routes[("POST", f"{prefix}/metrics/summaries")] = _tracking_route(metric_summaries)
        routes[("GET", f"{prefix}/runs/diff")] = _tracking_route(run_diff)
    routes[("GET", "/get-artifact")] = _tracking_route(run_artifact)
    routes[("GET", "/model-versions/get-artifact")] = _tracking_route(model_version_artifact)
    return routes
