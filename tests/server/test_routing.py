"""Routing and the wire format: every endpoint on both prefixes, request parsing, JSON shapes,
the error envelope and the meta routes."""

from __future__ import annotations

import json

import pytest

from runyard.wire.endpoints import ENDPOINTS, Endpoint
from tests.server.asgi_driver import AsgiDriver

PREFIXES = ("/api", "/ajax-api")


def _path(endpoint: Endpoint, prefix: str) -> str:
    path = f"{prefix}/{endpoint.major}.0{endpoint.path}"
    return path.replace("{model_id}", "m-0123456789abcdef0123456789abcdef").replace("{tag_key}", "k")


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method}-{e.message}")
def test_every_route_answers_on_both_prefixes(client: AsgiDriver, endpoint: Endpoint, prefix: str) -> None:
    # An empty request: each route answers with JSON (a result, or the envelope naming what is
    # wrong or missing), never a bare 404 or a 500.
    if endpoint.method == "GET":
        response = client.get(_path(endpoint, prefix))
    else:
        response = client.request(endpoint.method, _path(endpoint, prefix), json_body={})
    assert response.header("content-type") == "application/json"
    body = response.json()
    if response.status == 200:
        assert isinstance(body, dict)
    else:
        assert response.status in (400, 404), (response.status, body)
        assert set(body) >= {"error_code", "message"}
        assert body["error_code"] in ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")


def test_routes_serve_the_same_data_on_both_prefixes(client: AsgiDriver) -> None:
    experiment_id = client.call("POST", "/experiments/create", {"name": "twins"},
                                prefix="/ajax-api/2.0/mlflow")["experiment_id"]
    via_api = client.call("GET", "/experiments/get", {"experiment_id": experiment_id})
    via_ajax = client.call("GET", "/experiments/get", {"experiment_id": experiment_id}, prefix="/ajax-api/2.0/mlflow")
    assert via_api == via_ajax and via_api["experiment"]["name"] == "twins"


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/2.0/mlflow/no-such-route"),
    ("POST", "/api/2.0/mlflow/runs/no-such"),
    ("GET", "/api/9.0/mlflow/runs/get"),
    ("GET", "/API/2.0/mlflow/runs/get"),
    ("GET", "/index.html"),
])
def test_unknown_route_is_404(client: AsgiDriver, method: str, path: str) -> None:
    response = client.request(method, path, json_body={} if method == "POST" else None)
    assert response.status == 404


def test_get_query_parsing_repeated_keys_camel_case_and_enums(client: AsgiDriver) -> None:
    experiment_id = client.call("POST", "/experiments/create", {"name": "q"})["experiment_id"]
    runs = [client.call("POST", "/runs/create", {"experiment_id": experiment_id})["run"]["info"]["run_id"]
            for _ in range(2)]
    for i, run_id in enumerate(runs):
        client.call("POST", "/runs/log-metric", {"run_id": run_id, "key": "loss", "value": i, "timestamp": 5,
                                                 "step": i})
    # camelCase names in the query string
    got = client.call("GET", "/experiments/get", {"experimentId": experiment_id})
    assert got["experiment"]["experiment_id"] == experiment_id
    # repeated keys are a repeated field
    bulk = client.call("GET", "/metrics/get-history-bulk-interval",
                       [("run_ids", runs[0]), ("run_ids", runs[1]), ("metric_key", "loss")])
    assert sorted(m["run_id"] for m in bulk["metrics"]) == sorted(runs)
    # an enum by name and by number
    client.call("POST", "/experiments/delete", {"experiment_id": experiment_id})
    for view in ("DELETED_ONLY", "2"):
        found = client.call("GET", "/experiments/search", {"view_type": view, "maxResults": "10"})
        assert [e["experiment_id"] for e in found["experiments"]] == [experiment_id]
    # a repeated scalar given twice is refused rather than silently picking one
    response = client.get("/api/2.0/mlflow/experiments/get", query=[("experiment_id", "0"), ("experiment_id", "1")])
    assert response.status == 400 and "experiment_id" in response.json()["message"]


def test_bools_parse_from_json(client: AsgiDriver) -> None:
    experiment_id = client.call("POST", "/experiments/create", {"name": "b"})["experiment_id"]
    names = []
    for name in ("alpha", "beta"):
        names.append(client.call("POST", "/logged-models", {"experiment_id": experiment_id, "name": name})
                     ["model"]["info"]["name"])
    for ascending, expected in ((True, ["alpha", "beta"]), ("false", ["beta", "alpha"])):
        found = client.call("POST", "/logged-models/search", {
            "experiment_ids": [experiment_id], "order_by": [{"field_name": "name", "ascending": ascending}]})
        assert [m["info"]["name"] for m in found["models"]] == expected
    response = client.post("/api/2.0/mlflow/logged-models/search", {
        "experiment_ids": [experiment_id], "order_by": [{"field_name": "name", "ascending": "yes"}]})
    assert response.status == 400 and "ascending" in response.json()["message"]


def test_wire_shapes_int64_enums_non_finite_and_empty(client: AsgiDriver) -> None:
    experiment_id = client.call("POST", "/experiments/create", {"name": "shapes"})["experiment_id"]
    run = client.call("POST", "/runs/create", {"experiment_id": experiment_id, "start_time": 2**53 + 1})["run"]
    run_id = run["info"]["run_id"]
    assert run["info"]["start_time"] == 2**53 + 1  # a JSON number, not a string, and exact
    big = 2**62
    for key, value in (("nan", "NaN"), ("inf", "Infinity"), ("ninf", "-Infinity"), ("x", 1.5)):
        assert client.call("POST", "/runs/log-metric", {
            "run_id": run_id, "key": key, "value": value, "timestamp": big, "step": big}) == {}
    assert client.call("POST", "/runs/update", {"run_id": run_id, "status": 3, "end_time": big})["run_info"][
        "status"] == "FINISHED"
    response = client.get("/api/2.0/mlflow/runs/get", query={"run_id": run_id})
    assert b'"timestamp":4611686018427387904' in response.body
    got = response.json()["run"]
    metrics = {m["key"]: m for m in got["data"]["metrics"]}
    assert {k: m["value"] for k, m in metrics.items()} == {"nan": "NaN", "inf": "Infinity", "ninf": "-Infinity",
                                                            "x": 1.5}
    assert metrics["x"]["timestamp"] == big and metrics["x"]["step"] == big
    assert got["info"]["status"] == "FINISHED" and got["info"]["end_time"] == big
    assert got["info"]["lifecycle_stage"] == "active"
    # out of the int64 range is refused, never wrapped
    response = client.post("/api/2.0/mlflow/runs/log-metric", {
        "run_id": run_id, "key": "k", "value": 1, "timestamp": 2**63})
    assert response.status == 400 and "timestamp" in response.json()["message"]


def test_run_id_and_legacy_run_uuid_both_accepted(client: AsgiDriver) -> None:
    run_id = client.call("POST", "/runs/create", {"experiment_id": "0"})["run"]["info"]["run_id"]
    assert client.call("POST", "/runs/log-parameter", {"run_uuid": run_id, "key": "a", "value": "1"}) == {}
    assert client.call("POST", "/runs/set-tag", {"run_id": run_id, "key": "t", "value": "v"}) == {}
    info = client.call("GET", "/runs/get", {"run_uuid": run_id})["run"]["info"]
    assert info["run_id"] == info["run_uuid"] == run_id
    data = client.call("GET", "/runs/get", {"run_id": run_id})["run"]["data"]
    assert data["params"] == [{"key": "a", "value": "1"}]
    response = client.post("/api/2.0/mlflow/runs/log-parameter", {"run_id": run_id, "runId": run_id, "key": "b",
                                                                   "value": "2"})
    assert response.status == 400 and "run_id" in response.json()["message"]


def test_error_envelope_and_statuses(client: AsgiDriver) -> None:
    missing = client.get("/api/2.0/mlflow/experiments/get", query={"experiment_id": "424242"})
    assert missing.status == 404
    body = missing.json()
    assert body["error_code"] == "RESOURCE_DOES_NOT_EXIST" and body["message"]
    assert missing.header("content-type") == "application/json"

    client.call("POST", "/experiments/create", {"name": "dup"})
    dup = client.post("/api/2.0/mlflow/experiments/create", {"name": "dup"})
    assert dup.status == 400 and dup.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"

    bad = client.post("/api/2.0/mlflow/runs/log-metric", {"run_id": "r", "key": "k", "value": "lots",
                                                          "timestamp": 1})
    assert bad.status == 400 and bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "value" in bad.json()["message"]

    by_name = client.get("/api/2.0/mlflow/experiments/get-by-name", query={"experiment_name": "nope"})
    assert by_name.status == 404 and by_name.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize("route,payload,field", [
    ("/experiments/create", {}, "name"),
    ("/runs/log-metric", {"run_id": "x", "value": 1, "timestamp": 1}, "key"),
    ("/runs/log-parameter", {"run_id": "x", "key": "k"}, "value"),
    ("/runs/delete", {}, "run_id"),
    ("/runs/log-inputs", {"run_id": "x", "datasets": [{"dataset": {"name": "d"}}]}, "dataset.digest"),
])
def test_missing_required_field_names_it(client: AsgiDriver, route: str, payload: dict, field: str) -> None:
    response = client.post("/api/2.0/mlflow" + route, payload)
    assert response.status == 400
    body = response.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE" and f"{field}'" in body["message"]


def test_get_without_query_reads_a_json_body_and_post_accepts_empty_body(client: AsgiDriver) -> None:
    # MLflow falls back to the JSON body for a GET without a query string.
    response = client.request("GET", "/api/2.0/mlflow/experiments/get", json_body={"experiment_id": "0"})
    assert response.status == 200 and response.json()["experiment"]["name"] == "Default"
    # An empty body is the empty message.
    response = client.request("POST", "/api/2.0/mlflow/experiments/search", body=b"")
    assert response.status == 200 and [e["name"] for e in response.json()["experiments"]] == ["Default"]
    # A double-encoded body (legacy clients) is accepted.
    response = client.request("POST", "/api/2.0/mlflow/experiments/create",
                              body=json.dumps(json.dumps({"name": "legacy"})).encode(), content_type="application/json")
    assert response.status == 200


def test_delete_reads_the_json_body_and_path_params(client: AsgiDriver) -> None:
    experiment_id = client.call("POST", "/experiments/create", {"name": "lm"})["experiment_id"]
    created = client.call("POST", "/logged-models", {"experiment_id": experiment_id, "name": "m",
                                                     "tags": [{"key": "a", "value": "1"}]})
    model_id = created["model"]["info"]["model_id"]
    assert client.call("DELETE", f"/logged-models/{model_id}/tags/a") == {}
    assert client.call("GET", f"/logged-models/{model_id}")["model"]["info"].get("tags", []) == []
    assert client.call("PATCH", f"/logged-models/{model_id}", {"status": "LOGGED_MODEL_READY"})["model"]["info"][
        "status"] == "LOGGED_MODEL_READY"
    assert client.call("DELETE", f"/logged-models/{model_id}") == {}
    response = client.get(f"/api/2.0/mlflow/logged-models/{model_id}")
    assert response.status == 404


def test_health_version_and_server_info(client: AsgiDriver) -> None:
    health = client.get("/health")
    assert health.status == 200 and health.text == "OK"
    assert health.header("content-type").startswith("text/plain")
    version = client.get("/version")
    assert version.status == 200 and version.text.strip()
    for prefix in PREFIXES:
        info = client.get(f"{prefix}/3.0/mlflow/server-info")
        assert info.status == 200
        body = info.json()
        assert body["artifact_serving_enabled"] is True and body["store_type"] == "SqlStore"


def test_openapi_lists_every_route(client: AsgiDriver) -> None:
    response = client.get("/openapi.json")
    assert response.status == 200 and response.header("content-type") == "application/json"
    document = response.json()
    assert document["openapi"].startswith("3.")
    for endpoint in ENDPOINTS:
        assert endpoint.method.lower() in document["paths"][endpoint.api_path], endpoint
    assert "/api/2.0/mlflow-artifacts/artifacts/{path}" in document["paths"]
