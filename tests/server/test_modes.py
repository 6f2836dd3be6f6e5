"""Server modes: --artifacts-only turns the tracking routes off, --no-serve-artifacts the proxy."""

from __future__ import annotations

from typing import Callable

import pytest

from runyard.wire.endpoints import ENDPOINTS
from tests.server.asgi_driver import AsgiDriver
from tests.server.conftest import ServerEnv

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.mark.parametrize("prefix", ["/api", "/ajax-api"])
def test_artifacts_only_turns_tracking_routes_off(make_driver: Callable[..., AsgiDriver], prefix: str) -> None:
    client = make_driver(artifacts_only=True)
    for endpoint in ENDPOINTS:
        path = f"{prefix}/{endpoint.major}.0{endpoint.path}".replace("{model_id}", "m-1").replace("{tag_key}", "k")
        response = client.request(endpoint.method, path, json_body=None if endpoint.method == "GET" else {})
        assert response.status == 503, (endpoint, response.status)
    assert client.put(f"{PROXY}/a.txt", b"still served").status == 200
    assert client.get(f"{PROXY}/a.txt").body == b"still served"
    assert client.get("/health").status == 200


def test_no_serve_artifacts_turns_the_proxy_off(make_driver: Callable[..., AsgiDriver], server_env: ServerEnv) -> None:
    client = make_driver(serve_artifacts=False)
    for method, path in (("PUT", f"{PROXY}/a.txt"), ("GET", f"{PROXY}/a.txt"), ("GET", PROXY),
                         ("DELETE", f"{PROXY}/a.txt"), ("POST", "/api/2.0/mlflow-artifacts/mpu/create/a.txt")):
        response = client.request(method, path, body=b"x" if method == "PUT" else None)
        assert response.status == 503, (method, path, response.status)
    assert list(server_env.destination.iterdir()) == []
    assert client.get("/api/3.0/mlflow/server-info").json()["artifact_serving_enabled"] is False
    # tracking still works
    run = client.call("POST", "/runs/create", {"experiment_id": "0"})["run"]["info"]
    assert client.call("GET", "/runs/get", {"run_id": run["run_id"]})["run"]["info"]["run_id"] == run["run_id"]


def test_multipart_upload_is_not_implemented(client: AsgiDriver) -> None:
    response = client.post("/api/2.0/mlflow-artifacts/mpu/create/a.bin", {"path": "a.bin", "num_parts": 2})
    assert response.status == 501 and response.json()["error_code"] == "NOT_IMPLEMENTED"
