"""Request hardening (../shared/reference/security.md: CSRF, DOS, INFO): Host and Origin checks,
CORS, content types, body bounds, malformed input, search bounds, no tracebacks."""

from __future__ import annotations

import sqlite3
from typing import Callable

import pytest

from tests.server.asgi_driver import AsgiDriver
from tests.server.conftest import ServerEnv

CREATE = "/api/2.0/mlflow/experiments/create"
SEARCH = "/api/2.0/mlflow/experiments/search"


def _experiment_names(client: AsgiDriver) -> list[str]:
    return [e["name"] for e in client.call("POST", "/experiments/search", {"max_results": 1000})["experiments"]]


# -- Host (DNS rebinding) ---------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["localhost", "localhost:5000", "127.0.0.1:5000", "[::1]:5000", "10.1.2.3",
                                  "192.168.0.7:8080", "172.16.5.4", "LOCALHOST:5000", "localhost."])
def test_local_and_private_hosts_are_allowed(client: AsgiDriver, host: str) -> None:
    assert client.get(SEARCH, host=host).status == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5000", "8.8.8.8", "localhost.evil.example",
                                  "127.0.0.1.evil.example", "localhost@evil.example", "", None])
def test_foreign_host_is_refused(client: AsgiDriver, host: str | None) -> None:
    response = client.post(CREATE, {"name": "rebound"}, host=host)
    assert response.status == 403
    assert client.get(SEARCH, host=host).status == 403
    assert client.get("/api/2.0/mlflow-artifacts/artifacts", host=host).status == 403
    assert "rebound" not in _experiment_names(client)


def test_health_is_exempt_from_the_host_check(client: AsgiDriver) -> None:
    response = client.get("/health", host="evil.example")
    assert response.status == 200 and response.text == "OK"


def test_allowed_hosts_patterns(make_driver: Callable[..., AsgiDriver]) -> None:
    client = make_driver(allowed_hosts=("tracking.corp.example", "*.ml.example"))
    for host in ("tracking.corp.example", "tracking.corp.example:443", "a.ml.example", "localhost"):
        assert client.get(SEARCH, host=host).status == 200, host
    for host in ("corp.example", "ml.example", "tracking.corp.example.evil", "evil.example"):
        assert client.get(SEARCH, host=host).status == 403, host
    anything = make_driver(allowed_hosts=("*",))
    assert anything.get(SEARCH, host="whatever.example").status == 200


# -- Origin and CORS ------------------------------------------------------------------------------
@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost.evil.example", "null",
                                    "http://127.0.0.1.evil.example:5000", "file://", "chrome-extension://abc"])
def test_foreign_origin_cannot_write(client: AsgiDriver, server_env: ServerEnv, origin: str) -> None:
    headers = {"origin": origin}
    assert client.post(CREATE, {"name": "csrf"}, headers=headers).status == 403
    assert client.put("/api/2.0/mlflow-artifacts/artifacts/x.txt", b"data", headers=headers).status == 403
    assert not (server_env.destination / "x.txt").exists()
    (server_env.destination / "keep.txt").write_bytes(b"keep")
    assert client.delete("/api/2.0/mlflow-artifacts/artifacts/keep.txt", headers=headers).status == 403
    assert (server_env.destination / "keep.txt").exists()
    # reads are answered (a browser will not hand them to the page) but never with CORS grants
    response = client.get(SEARCH, headers=headers)
    assert not any(name.startswith("access-control-") for name in response.header_names())
    preflight = client.request("OPTIONS", CREATE, headers={**headers, "access-control-request-method": "POST"})
    assert preflight.status == 403
    assert not any(name.startswith("access-control-") for name in preflight.header_names())
    assert "csrf" not in _experiment_names(client)


@pytest.mark.parametrize("origin", ["http://localhost:3000", "http://127.0.0.1:5000", "http://[::1]:8080"])
def test_local_origin_gets_cors(client: AsgiDriver, origin: str) -> None:
    response = client.post(CREATE, {"name": f"from {origin}"}, headers={"origin": origin})
    assert response.status == 200
    assert response.header("access-control-allow-origin") == origin
    assert response.header("access-control-allow-origin") != "*"
    preflight = client.request("OPTIONS", CREATE, headers={"origin": origin, "access-control-request-method": "POST",
                                                          "access-control-request-headers": "content-type"})
    assert preflight.status == 204
    assert preflight.header("access-control-allow-origin") == origin
    assert "POST" in preflight.header("access-control-allow-methods")
    assert "content-type" in preflight.header("access-control-allow-headers").lower()


def test_configured_origin_and_same_origin(make_driver: Callable[..., AsgiDriver]) -> None:
    client = make_driver(host="tracking.corp.example", allowed_hosts=("tracking.corp.example",),
                         cors_allowed_origins=("https://ui.corp.example",))
    assert client.post(CREATE, {"name": "a"}, headers={"origin": "https://ui.corp.example"}).status == 200
    assert client.post(CREATE, {"name": "b"}, headers={"origin": "http://tracking.corp.example"}).status == 200
    assert client.post(CREATE, {"name": "c"}, headers={"origin": "https://other.corp.example"}).status == 403
    # '*' in the configuration never turns into a '*' or a grant for the null origin
    star = make_driver(cors_allowed_origins=("*",))
    response = star.get(SEARCH, headers={"origin": "null"})
    assert response.header("access-control-allow-origin") is None
    assert star.post(CREATE, {"name": "d"}, headers={"origin": "null"}).status == 403


# -- Content type ---------------------------------------------------------------------------------
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None, "application/jsonp",
                                          "text/plain; a=application/json"])
def test_writes_require_json_content_type(client: AsgiDriver, content_type: str | None) -> None:
    response = client.request("POST", CREATE, body=b'{"name": "form-post"}', content_type=content_type)
    assert response.status == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "Content-Type" in response.json()["message"]
    experiment_id = client.call("POST", "/experiments/create", {"name": "lm"})["experiment_id"]
    model_id = client.call("POST", "/logged-models", {"experiment_id": experiment_id})["model"]["info"]["model_id"]
    patch = client.request("PATCH", f"/api/2.0/mlflow/logged-models/{model_id}/tags",
                           body=b'{"tags": [{"key": "a", "value": "b"}]}', content_type=content_type)
    assert patch.status == 400
    assert "form-post" not in _experiment_names(client)
    assert client.call("GET", f"/logged-models/{model_id}")["model"]["info"].get("tags", []) == []


def test_json_content_type_with_parameters_is_accepted(client: AsgiDriver) -> None:
    response = client.request("POST", CREATE, body=b'{"name": "x"}', content_type="Application/JSON; charset=utf-8")
    assert response.status == 200


# -- Bodies ---------------------------------------------------------------------------------------
def test_request_body_bound(make_driver: Callable[..., AsgiDriver]) -> None:
    client = make_driver(max_request_bytes=4096)
    name = "n" * 5000
    declared = client.post(CREATE, {"name": name})
    assert declared.status == 413
    assert declared.json()["error_code"] and "4096" in declared.json()["message"]
    # Content-Length claims less than is sent: the bytes are counted as they arrive.
    body = b'{"name": "' + name.encode() + b'"}'
    lying = client.request("POST", CREATE, body=[body[:100], body[100:]], content_type="application/json",
                           headers={"content-length": "100"})
    assert lying.status == 413 and "4096" in lying.json()["message"]
    chunked = client.request("POST", CREATE, body=[body[i:i + 1000] for i in range(0, len(body), 1000)],
                             content_type="application/json", headers={"transfer-encoding": "chunked"})
    assert chunked.status == 413
    assert client.request("POST", CREATE, body=b"{}", content_type="application/json",
                          headers={"content-length": "banana"}).status == 400
    assert name not in _experiment_names(client)
    assert client.post(CREATE, {"name": "small"}).status == 200


@pytest.mark.parametrize("body", [b"{", b"not json", b"\xff\xfe", b'{"name": "x"} trailing', b"[1, 2]", b'"text"',
                                  b"42", b"null", b'"[1]"', b"[" * 100_000 + b"]" * 100_000, b'{"a": ' * 50_000,
                                  b'{"name": "\\ud800"}', b'{"name": "x\\udfff"}', b'"{\\"name\\": \\"\\\\udc00\\"}"'])
def test_malformed_or_non_object_json_is_400(client: AsgiDriver, body: bytes) -> None:
    response = client.request("POST", CREATE, body=body, content_type="application/json")
    assert response.status == 400, response.body[:300]
    assert response.json()["error_code"] in ("BAD_REQUEST", "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize("value", ["9" * 5000, "\u00b2", "1_000", " 12", "0x10", "1e3", "-0"])
def test_odd_integers_in_the_query_string_are_400(client: AsgiDriver, value: str) -> None:
    response = client.get(SEARCH, query={"max_results": value})
    assert response.status in (200, 400), (response.status, response.body[:300])
    if response.status == 400:
        assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_invalid_utf8_in_the_query_string_is_400(client: AsgiDriver) -> None:
    response = client.get("/api/2.0/mlflow/experiments/get-by-name?experiment_name=%ff%fe")
    assert response.status == 400


@pytest.mark.parametrize("route,payload", [
    ("/experiments/search", {}), ("/runs/search", {"experiment_ids": ["0"]}),
    ("/logged-models/search", {"experiment_ids": ["0"]}),
])
@pytest.mark.parametrize("max_results", [0, -1, 50_001, 10**12])
def test_max_results_is_bounded(client: AsgiDriver, route: str, payload: dict, max_results: int) -> None:
    response = client.post("/api/2.0/mlflow" + route, {**payload, "max_results": max_results})
    assert response.status == 400
    assert "max_results" in response.json()["message"]


def test_metric_history_max_results_is_bounded(client: AsgiDriver) -> None:
    run_id = client.call("POST", "/runs/create", {"experiment_id": "0"})["run"]["info"]["run_id"]
    for value in ("0", "-5", str(10**12)):
        response = client.get("/api/2.0/mlflow/metrics/get-history",
                              query={"run_id": run_id, "metric_key": "m", "max_results": value})
        assert response.status == 400, value


def test_no_traceback_in_an_internal_error(client: AsgiDriver, server_env: ServerEnv) -> None:
    # Break the database under the running server (no mocks): the next query fails inside the store.
    connection = sqlite3.connect(server_env.backend_store_uri[len("sqlite:///"):])
    connection.execute("DROP TABLE experiment_tags")
    connection.commit()
    connection.close()
    response = client.get("/api/2.0/mlflow/experiments/get", query={"experiment_id": "0"})
    assert response.status >= 400
    body = response.json()
    assert set(body) >= {"error_code", "message"}
    for marker in ("Traceback", 'File "', "sqlite3.", "sqlalchemy", "SELECT", "experiment_tags"):
        assert marker not in response.text
    # and the server keeps answering
    assert client.get("/health").status == 200


@pytest.mark.parametrize("name", [b"1e999999", b"1.5", b"-1e400"])
def test_non_integer_numbers_are_no_names(client: AsgiDriver, name: bytes) -> None:
    response = client.request("POST", "/api/2.0/mlflow/experiments/create", body=b'{"name": ' + name + b"}",
                              headers={"content-type": "application/json"})
    assert response.status == 400 and "'name'" in response.json()["message"]


def test_known_path_with_the_wrong_method_is_405(client: AsgiDriver) -> None:
    response = client.request("DELETE", "/api/2.0/mlflow/runs/get")
    assert response.status == 405 and response.header("allow") == "GET"
    model = client.request("PUT", "/api/2.0/mlflow/logged-models/m-123")
    assert model.status == 405 and set(model.header("allow").split(", ")) == {"DELETE", "GET", "PATCH"}
    assert client.request("GET", "/api/2.0/mlflow/no-such-route").status == 404
