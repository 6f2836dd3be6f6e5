"""The web UI's reads over HTTP: runyard's own routes (``/api/2.0/runyard/...``). A plain MLflow
server has none of them and answers 404 (``ENDPOINT_NOT_FOUND``)."""

from __future__ import annotations

import json
from typing import Any, Sequence
from urllib.parse import urlencode

from runyard.entities import ViewType
from runyard.entities.metric_summaries import MAX_SUMMARY_RUNS, RunMetricSummary, check_run_ids, check_summary_keys
from runyard.entities.run_views import (
    BUCKETS_DEFAULT,
    BUCKETS_LIMIT,
    KEY_KINDS,
    RUN_KEYS_DEFAULT,
    RUN_KEYS_LIMIT,
    X_AXES,
    DownsampledSeries,
    RunGroups,
    RunKeys,
    check_choice,
    check_experiment_ids,
    check_int,
    check_metric_keys,
    check_prefix,
    check_x_window,
)
from runyard.stores.rest.http_client import HttpClient
from runyard.wire import codec_views

_PREFIX = "/api/2.0/runyard"


def _view(view_type: Any) -> str:
    return ViewType.to_string(ViewType.normalize(view_type))


class RestRunViewsMixin:
    http: HttpClient

    def _get(self, path: str, query: list[tuple[str, Any]]) -> dict[str, Any]:
        fields = urlencode([(k, v) for k, v in query if v is not None])
        return json.loads(self.http.request("GET", _PREFIX + path, fields=fields, idempotent=True).data or b"{}")

    def search_run_keys(self, experiment_ids: Sequence[str], kind: str, prefix: str = "",
                        max_results: int = RUN_KEYS_DEFAULT) -> RunKeys:
        ids = check_experiment_ids(experiment_ids)
        query = [("experiment_ids", i) for i in ids] + [
            ("kind", check_choice(kind, "kind", KEY_KINDS)), ("prefix", check_prefix(prefix) or None),
            ("max_results", check_int(max_results, "max_results", 1, RUN_KEYS_LIMIT))]
        return codec_views.decode_run_keys(self._get("/runs/keys", query))

    def count_runs(self, experiment_ids: Sequence[str], filter_string: str | None = None,
                   run_view_type: int = ViewType.ACTIVE_ONLY) -> int:
        query = [("experiment_ids", i) for i in check_experiment_ids(experiment_ids)] + [
            ("filter", filter_string or None), ("run_view_type", _view(run_view_type))]
        return int(self._get("/runs/count", query)["count"])

    def group_runs(self, experiment_ids: Sequence[str], group_by: str, metric_keys: Sequence[str] = (),
                   filter_string: str | None = None, run_view_type: int = ViewType.ACTIVE_ONLY) -> RunGroups:
        body = {"experiment_ids": check_experiment_ids(experiment_ids), "group_by": group_by,
                "metrics": check_metric_keys(metric_keys), "filter": filter_string or None,
                "run_view_type": _view(run_view_type)}
        response = self.http.request("POST", _PREFIX + "/runs/group", body=json.dumps(body).encode(),
                                     idempotent=True)
        return codec_views.decode_run_groups(json.loads(response.data))

    def get_metric_downsampled(self, run_id: str, metric_key: str, x_axis: str = "step",
                               buckets: int = BUCKETS_DEFAULT, min_x: int | None = None,
                               max_x: int | None = None) -> DownsampledSeries:
        min_x, max_x = check_x_window(min_x, max_x)
        query = [("run_id", run_id), ("metric_key", metric_key), ("x_axis", check_choice(x_axis, "x_axis", X_AXES)),
                 ("buckets", check_int(buckets, "buckets", 1, BUCKETS_LIMIT)), ("min_x", min_x), ("max_x", max_x)]
        return codec_views.decode_series(self._get("/metrics/downsampled", query), metric_key)

    def get_metric_summaries(self, run_ids: Sequence[str],
                             metric_keys: Sequence[str] | None = None) -> list[RunMetricSummary]:
        body = {"run_ids": check_run_ids(list(run_ids) if isinstance(run_ids, tuple) else run_ids, MAX_SUMMARY_RUNS),
                "metric_keys": check_summary_keys(metric_keys)}
        response = self.http.request("POST", _PREFIX + "/metrics/summaries", body=json.dumps(body).encode(),
                                     idempotent=True)
        return codec_views.decode_metric_summaries(json.loads(response.data))
