"""``runs/diff`` and MLflow's artifact preview routes (``/get-artifact``,
``/model-versions/get-artifact``): content, inert headers, and no path outside the run's root
(../shared/reference/security.md PT, XSS)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from runyard.entities import Metric, Param, RunTag
from runyard.stores.artifacts.local import LocalArtifactStore
from runyard.stores.tracking import TrackingStore
from tests.server.asgi_driver import AsgiDriver
from tests.server.conftest import ServerEnv

UI = "/ajax-api/2.0/runyard"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"


def store_of(client: AsgiDriver) -> TrackingStore:
    return client.app.context.tracking


def new_run(client: AsgiDriver, name: str, params=None, metrics=None, tags=None) -> tuple[str, str]:
    """(run id, the run's artifact directory below the proxy destination)."""
    store = store_of(client)
    run = store.create_run("0", "u", 1000, [], name)
    store.log_batch(run.info.run_id, metrics=[Metric(k, v, 1, 0) for k, v in (metrics or {}).items()],
                    params=[Param(k, v) for k, v in (params or {}).items()],
                    tags=[RunTag(k, v) for k, v in (tags or {}).items()])
    assert run.info.artifact_uri.startswith("mlflow-artifacts:/")
    return run.info.run_id, run.info.artifact_uri[len("mlflow-artifacts:/"):]


def upload(client: AsgiDriver, directory: str, path: str, content: bytes) -> None:
    assert client.put(f"{PROXY}/{directory}/{path}", content).status == 200


# -- runs/diff ------------------------------------------------------------------------------------
def test_diff_of_two_runs(client: AsgiDriver) -> None:
    a, dir_a = new_run(client, "run-a", {"lr": "0.1", "depth": "3", "only": "a"},
                       {"loss": 0.5, "acc": math.nan, "gone": 1.0}, {"team": "x"})
    b, dir_b = new_run(client, "run-b", {"lr": "0.2", "depth": "3", "extra": "b"},
                       {"loss": 0.5, "acc": math.nan, "f1": math.inf}, {"team": "x"})
    upload(client, dir_a, "model/MLmodel", b"flavors: {}")
    upload(client, dir_b, "model/MLmodel", b"flavors: {a: 1}")
    for directory in (dir_a, dir_b):
        upload(client, directory, "data.csv", b"a,b\n")
    upload(client, dir_a, "only_a.txt", b"a")
    upload(client, dir_b, "deep/er/only_b.txt", b"bb")
    body = client.get(f"{UI}/runs/diff", query={"run_a": a, "run_b": b}).json()
    assert body["run_a"] == a and body["run_b"] == b and body["truncated"] is False
    assert body["params"] == [
        {"key": "depth", "a": "3", "b": "3", "status": "same"},
        {"key": "extra", "a": None, "b": "b", "status": "only_b"},
        {"key": "lr", "a": "0.1", "b": "0.2", "status": "changed"},
        {"key": "only", "a": "a", "b": None, "status": "only_a"},
    ]
    assert body["metrics"] == [
        {"key": "acc", "a": "NaN", "b": "NaN", "status": "same"},
        {"key": "f1", "a": None, "b": "Infinity", "status": "only_b"},
        {"key": "gone", "a": 1.0, "b": None, "status": "only_a"},
        {"key": "loss", "a": 0.5, "b": 0.5, "status": "same"},
    ]
    tags = {t["key"]: t for t in body["tags"]}
    assert tags["team"]["status"] == "same"
    assert tags["mlflow.runName"] == {"key": "mlflow.runName", "a": "run-a", "b": "run-b", "status": "changed"}
    assert body["artifacts"] == [
        {"path": "data.csv", "a_size": 4, "b_size": 4, "status": "same"},
        {"path": "deep/er/only_b.txt", "a_size": None, "b_size": 2, "status": "only_b"},
        {"path": "model/MLmodel", "a_size": 11, "b_size": 15, "status": "changed"},
        {"path": "only_a.txt", "a_size": 1, "b_size": None, "status": "only_a"},
    ]


def test_diff_errors(client: AsgiDriver) -> None:
    a, _ = new_run(client, "a")
    missing = client.get(f"{UI}/runs/diff", query={"run_a": a, "run_b": "f" * 32})
    assert missing.status == 404 and missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert "run_b" in client.get(f"{UI}/runs/diff", query={"run_a": a}).json()["message"]


def test_recursive_listing_stops_at_its_limit(tmp_path: Path) -> None:
    for name in ("a/1", "a/2", "b/c/3", "4"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    store = LocalArtifactStore(tmp_path.as_uri())
    files, truncated = store.list_files()
    assert sorted(f.path for f in files) == ["4", "a/1", "a/2", "b/c/3"] and not truncated
    files, truncated = store.list_files(limit=3)
    assert truncated and len(files) < 4


# -- /get-artifact --------------------------------------------------------------------------------
@pytest.mark.parametrize("name,content_type", [
    ("notes.txt", "text/plain; charset=utf-8"), ("metrics.json", "text/plain; charset=utf-8"),
    ("conf.yaml", "text/plain; charset=utf-8"), ("table.csv", "text/plain; charset=utf-8"),
    ("train.log", "text/plain; charset=utf-8"), ("model/MLmodel", "text/plain; charset=utf-8"),
    ("plot.png", "image/png"), ("photo.jpg", "image/jpeg"), ("photo.JPEG", "image/jpeg"),
    ("anim.gif", "image/gif"), ("pic.webp", "image/webp"),
    ("drawing.svg", "application/octet-stream"), ("page.html", "application/octet-stream"),
    ("page.htm", "application/octet-stream"), ("app.js", "application/octet-stream"),
    ("weights.bin", "application/octet-stream"), ("noext", "application/octet-stream"),
])
def test_get_artifact_serves_inert_attachments(client: AsgiDriver, name: str, content_type: str) -> None:
    run_id, directory = new_run(client, "r")
    content = b"<svg onload=alert(1)>" if name.endswith(("svg", "html", "htm")) else b"content of " + name.encode()
    upload(client, directory, name, content)
    for param in ("run_uuid", "run_id"):
        response = client.get("/get-artifact", query={param: run_id, "path": name})
        assert response.status == 200, response.body
        assert response.body == content
        assert response.header("content-type") == content_type
        assert response.header("x-content-type-options") == "nosniff"
        assert response.header("content-disposition").startswith("attachment;")
        assert response.header("content-length") == str(len(content))


def test_get_artifact_missing_things_are_404_envelopes(client: AsgiDriver) -> None:
    run_id, _ = new_run(client, "r")
    for query in ({"run_uuid": run_id, "path": "nope.txt"}, {"run_uuid": "e" * 32, "path": "x.txt"}):
        response = client.get("/get-artifact", query=query)
        assert response.status == 404, (query, response.body)
        assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert client.get("/get-artifact", query={"run_uuid": run_id}).status == 400
    assert client.get("/get-artifact", query={"path": "x.txt"}).status == 400


# Spellings of a path outside the run's artifact root, sent encoded once more by the query string
# (so every round of percent-decoding is exercised) and, below, also as raw query text.
TRAVERSALS = [
    "../target.txt", "../../target.txt", "../../../target.txt", "../../../../target.txt",
    "a/../../target.txt", "./../target.txt", "%2e%2e/target.txt", "%2E%2E%2Ftarget.txt", ".%2e/target.txt",
    "%252e%252e/target.txt", "%25252e%25252e/target.txt", "..%5ctarget.txt", "..\\target.txt",
    "%c0%ae%c0%ae/target.txt", "%e0%80%ae%e0%80%ae/target.txt", "%ef%bc%8e%ef%bc%8e/target.txt",
    "..%00/target.txt", "target.txt%00.png", "a%0a/../../target.txt", "/etc/passwd", "%2fetc%2fpasswd",
    "//etc/passwd", "C:/target.txt", "C:%5ctarget.txt", "\\\\server\\share\\target.txt",
]


def _plant_secrets(server_env: ServerEnv, directory: str) -> None:
    run_root = server_env.destination / directory
    run_root.mkdir(parents=True, exist_ok=True)
    for place in (run_root.parent, run_root.parent.parent, server_env.destination, server_env.root):
        (place / "target.txt").write_bytes(b"SECRET")


def test_get_artifact_refuses_every_traversal(client: AsgiDriver, server_env: ServerEnv) -> None:
    run_id, directory = new_run(client, "r")
    _plant_secrets(server_env, directory)
    other_id, other_dir = new_run(client, "other")
    upload(client, other_dir, "private.txt", b"SECRET")
    spellings = TRAVERSALS + [f"../../{other_id}/artifacts/private.txt"]
    for spelling in spellings:
        response = client.get("/get-artifact", query={"run_uuid": run_id, "path": spelling})
        assert response.status == 400, (spelling, response.status, response.body)
        assert b"SECRET" not in response.body
        raw = client.get(f"/get-artifact?run_uuid={run_id}&path={spelling}")
        assert raw.status == 400, (spelling, raw.status, raw.body)
        assert b"SECRET" not in raw.body


def _register(client: AsgiDriver, directory: str, name: str = "clf") -> None:
    client.call("POST", "/registered-models/create", {"name": name})
    client.call("POST", "/model-versions/create", {"name": name, "source": f"mlflow-artifacts:/{directory}/model"})


def test_model_version_artifacts(client: AsgiDriver, server_env: ServerEnv) -> None:
    run_id, directory = new_run(client, "trained")
    upload(client, directory, "model/MLmodel", b"flavors:\n  python_function: {}\n")
    upload(client, directory, "model/card.html", b"<script>alert(1)</script>")
    _register(client, directory)
    response = client.get("/model-versions/get-artifact", query={"name": "clf", "version": "1", "path": "MLmodel"})
    assert response.status == 200 and response.body.startswith(b"flavors:")
    assert response.header("content-type") == "text/plain; charset=utf-8"
    assert response.header("content-disposition").startswith("attachment;")
    html = client.get("/model-versions/get-artifact", query={"name": "clf", "version": "1", "path": "card.html"})
    assert html.header("content-type") == "application/octet-stream"
    (server_env.destination / directory / "target.txt").write_bytes(b"SECRET")
    for spelling in TRAVERSALS:
        refused = client.get("/model-versions/get-artifact", query={"name": "clf", "version": "1", "path": spelling})
        assert refused.status == 400 and b"SECRET" not in refused.body, (spelling, refused.status)
    for query in ({"name": "clf", "version": "2", "path": "MLmodel"}, {"name": "nope", "version": "1", "path": "x"},
                  {"name": "clf", "version": "1", "path": "absent.txt"}):
        assert client.get("/model-versions/get-artifact", query=query).status == 404, query
    assert client.get("/model-versions/get-artifact", query={"name": "clf", "version": "1"}).status == 400


def test_artifacts_outside_the_roots_are_not_read(client: AsgiDriver) -> None:
    # A remote location is metadata to the server: it never connects to a host a client named.
    experiment_id = client.call("POST", "/experiments/create", {"name": "remote", "artifact_location":
                                                                 "s3://bucket/prefix"})["experiment_id"]
    run_id = store_of(client).create_run(experiment_id, "u", 0, [], None).info.run_id
    response = client.get("/get-artifact", query={"run_uuid": run_id, "path": "MLmodel"})
    assert response.status == 403 and response.json()["error_code"] == "PERMISSION_DENIED"
    local, _ = new_run(client, "local")
    body = client.get(f"{UI}/runs/diff", query={"run_a": local, "run_b": run_id}).json()
    assert body["artifacts"] == []
