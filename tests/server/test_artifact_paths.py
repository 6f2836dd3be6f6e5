"""Artifact paths and locations (../shared/reference/security.md PT, FW, SSRF, XSS): no request may
read, list, write or delete outside the artifact roots, and downloads are inert attachments."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runyard import uris
from runyard.entities import RunTag
from runyard.stores.sql.tracking_store import SqlTrackingStore
from tests.server.asgi_driver import AsgiDriver
from tests.server.conftest import ServerEnv, files_under

PROXY = "/api/2.0/mlflow-artifacts/artifacts"

# Each names "<something outside the destination>/target.txt" in another spelling. The
# destination is <root>/artifacts, so one '..' reaches <root>.
TRAVERSALS = [
    "../target.txt",
    "a/../../target.txt",
    "./../target.txt",
    "%2e%2e/target.txt",
    "%2E%2E%2Ftarget.txt",
    ".%2e/target.txt",
    "a/%2e%2e/%2e%2e/target.txt",
    "%252e%252e/target.txt",
    "%252e%252e%252ftarget.txt",
    "%25252e%25252e/target.txt",
    "..%5ctarget.txt",
    "a%5c..%5c..%5ctarget.txt",
    "..\\target.txt",
    "%c0%ae%c0%ae/target.txt",
    "%c0%ae%c0%ae%c0%aftarget.txt",
    "%e0%80%ae%e0%80%ae/target.txt",
    "%25c0%25ae%25c0%25ae/target.txt",
    "%ef%bc%8e%ef%bc%8e/target.txt",  # fullwidth full stops, '..' after NFKC
    "..%00/target.txt",
    "target.txt%00.png",
    "a%0a/target.txt",
]
ABSOLUTE = ["/{root}/target.txt", "%2f{root}/target.txt", "%252f{root}/target.txt", "C:/target.txt",
            "C:%5ctarget.txt", "\\\\server\\share\\target.txt"]


def _spellings(env: ServerEnv) -> list[str]:
    root = str(env.root).lstrip("/")
    return TRAVERSALS + [a.format(root=root) for a in ABSOLUTE]


def _outside(env: ServerEnv) -> set[str]:
    """Everything in the server's root except the destination and the database files."""
    return {p for p in files_under(env.root) if not p.startswith("artifacts") and not p.startswith("runyard.db")}


def test_upload_traversal_is_refused_and_writes_nothing(client: AsgiDriver, server_env: ServerEnv) -> None:
    before_outside = _outside(server_env)
    for spelling in _spellings(server_env):
        response = client.put(f"{PROXY}/{spelling}", b"pwned")
        assert response.status == 400, (spelling, response.status, response.body)
        assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert _outside(server_env) == before_outside
    assert files_under(server_env.destination) == set()
    assert not Path("/target.txt").exists()


def test_download_traversal_is_refused(client: AsgiDriver, server_env: ServerEnv) -> None:
    (server_env.root / "target.txt").write_bytes(b"SECRET")
    for spelling in _spellings(server_env):
        response = client.get(f"{PROXY}/{spelling}")
        assert response.status == 400, (spelling, response.status)
        assert b"SECRET" not in response.body


def test_delete_traversal_is_refused(client: AsgiDriver, server_env: ServerEnv) -> None:
    secret = server_env.root / "target.txt"
    secret.write_bytes(b"SECRET")
    for spelling in _spellings(server_env) + ["", ".", "./", "a/.."]:
        response = client.delete(f"{PROXY}/{spelling}")
        assert response.status == 400, (spelling, response.status)
    assert secret.read_bytes() == b"SECRET"
    assert server_env.destination.is_dir()


@pytest.mark.parametrize("path", ["..", "../", "a/../..", "%2e%2e", "%252e%252e", "/", "/etc", "..\\",
                                  "%c0%ae%c0%ae", "%00", "C:/"])
def test_list_traversal_is_refused(client: AsgiDriver, server_env: ServerEnv, path: str) -> None:
    (server_env.root / "target.txt").write_bytes(b"SECRET")
    response = client.get(f"{PROXY}?path={path}")
    assert response.status == 400, (path, response.status, response.body)
    assert b"target.txt" not in response.body and b"runyard.db" not in response.body


def test_symlink_out_of_the_destination_is_not_followed(client: AsgiDriver, server_env: ServerEnv) -> None:
    outside = server_env.root / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"SECRET")
    os.symlink(outside, server_env.destination / "link")
    response = client.get(f"{PROXY}/link/secret.txt")
    assert response.status in (400, 404) and b"SECRET" not in response.body
    assert client.put(f"{PROXY}/link/new.txt", b"x").status in (400, 404)
    assert client.delete(f"{PROXY}/link/secret.txt").status in (400, 404)
    listing = client.get(PROXY, query={"path": "link"})
    assert b"secret.txt" not in listing.body
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


@pytest.mark.parametrize("location", ["/etc", "file:///etc", "file://localhost/etc", "file:/etc", "../elsewhere",
                                      "relative/dir", "{root}/elsewhere", "file://{root}/elsewhere",
                                      "file://{dest}/../elsewhere", "{dest}-sibling", "mlflow-artifacts:/../../etc",
                                      "mlflow-artifacts:/%2e%2e/etc"])
def test_experiment_artifact_location_outside_the_roots_is_refused(client: AsgiDriver, server_env: ServerEnv,
                                                                   location: str) -> None:
    location = location.format(root=server_env.root, dest=server_env.destination)
    response = client.post("/api/2.0/mlflow/experiments/create", {"name": "x", "artifact_location": location})
    assert response.status == 400, (location, response.body)
    assert "artifact_location" in response.json()["message"]
    names = [e["name"] for e in client.call("POST", "/experiments/search", {})["experiments"]]
    assert names == ["Default"]


@pytest.mark.parametrize("location", ["s3://bucket/prefix", "mlflow-artifacts:/team-a", "file://{dest}/team-b"])
def test_experiment_artifact_location_inside_or_remote_is_accepted(client: AsgiDriver, server_env: ServerEnv,
                                                                   location: str) -> None:
    location = location.format(dest=server_env.destination)
    experiment_id = client.call("POST", "/experiments/create", {"name": "ok", "artifact_location": location})[
        "experiment_id"]
    got = client.call("GET", "/experiments/get", {"experiment_id": experiment_id})["experiment"]
    assert got["artifact_location"] == location


def _experiment_outside(env: ServerEnv, location: str) -> str:
    """An experiment whose location the server would refuse, written straight into the database
    (as an older server or another tool might have)."""
    store = SqlTrackingStore(env.backend_store_uri, default_artifact_root="mlflow-artifacts:/")
    try:
        return store.create_experiment("planted", location, [RunTag("k", "v")])
    finally:
        store.close()


@pytest.mark.parametrize("kind", ["local", "s3", "sibling"])
def test_listing_a_run_outside_the_roots_is_refused(client: AsgiDriver, server_env: ServerEnv, kind: str) -> None:
    outside = server_env.root / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"SECRET")
    location = {"local": uris.path_to_file_uri(str(outside)), "s3": "s3://169.254.169.254/latest",
                "sibling": uris.path_to_file_uri(str(server_env.destination) + "-x")}[kind]
    experiment_id = _experiment_outside(server_env, location)
    run_id = client.call("POST", "/runs/create", {"experiment_id": experiment_id})["run"]["info"]["run_id"]
    for query in ({"run_id": run_id}, {"run_id": run_id, "path": ".."}, {"run_id": run_id, "path": "../.."}):
        response = client.get("/api/2.0/mlflow/artifacts/list", query=query)
        assert 400 <= response.status < 500, (query, response.status)
        assert b"secret.txt" not in response.body
    model_id = client.call("POST", "/logged-models", {"experiment_id": experiment_id})["model"]["info"]["model_id"]
    response = client.get(f"/api/2.0/mlflow/logged-models/{model_id}/artifacts/directories")
    assert 400 <= response.status < 500


def test_listing_a_run_inside_the_roots_works(client: AsgiDriver, server_env: ServerEnv) -> None:
    run = client.call("POST", "/runs/create", {"experiment_id": "0"})["run"]["info"]
    rel = run["artifact_uri"][len("mlflow-artifacts:/"):]
    assert client.put(f"{PROXY}/{rel}/model/MLmodel", b"flavors: {}").status == 200
    assert client.put(f"{PROXY}/{rel}/notes.txt", b"hello").status == 200
    top = client.call("GET", "/artifacts/list", {"run_id": run["run_id"]})
    assert top["root_uri"] == run["artifact_uri"]
    assert sorted((f["path"], f["is_dir"]) for f in top["files"]) == [("model", True), ("notes.txt", False)]
    inner = client.call("GET", "/artifacts/list", {"run_id": run["run_id"], "path": "model"})
    assert inner["files"] == [{"path": "model/MLmodel", "is_dir": False, "file_size": 11}]
    assert client.get("/api/2.0/mlflow/artifacts/list", query={"run_id": run["run_id"], "path": "../x"}).status == 400


@pytest.mark.parametrize("name,content_type", [
    ("page.html", "application/octet-stream"), ("page.htm", "application/octet-stream"),
    ("image.svg", "application/octet-stream"), ("doc.xhtml", "application/octet-stream"),
    ("script.js", "application/octet-stream"), ("noext", "application/octet-stream"),
    ("plot.png", "image/png"), ("notes.txt", "text/plain; charset=utf-8"),
    ('we"ird; name.html', "application/octet-stream"),
])
def test_downloads_are_inert_attachments(client: AsgiDriver, name: str, content_type: str) -> None:
    payload = b"<html><script>alert(1)</script></html>"
    encoded = name.replace('"', "%22").replace(";", "%3B").replace(" ", "%20")
    assert client.put(f"{PROXY}/d/{encoded}", payload).status == 200
    response = client.get(f"{PROXY}/d/{encoded}")
    assert response.status == 200 and response.body == payload
    assert response.header("content-type") == content_type
    assert response.header("x-content-type-options") == "nosniff"
    disposition = response.header("content-disposition")
    assert disposition.startswith("attachment;") and '"' not in disposition.split(";", 1)[1]
