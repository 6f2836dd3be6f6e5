"""The registry routes on the wire (ASGI app in process): MLflow's JSON shapes and methods, DELETE
bodies, the audit-trail routes, who acts (Basic auth), and sources the server refuses."""

from __future__ import annotations

import base64

import pytest

from runyard.server.app import basic_auth_user
from tests.server.asgi_driver import AsgiDriver
from tests.server.conftest import client, make_driver, server_env  # noqa: F401 - fixtures


def _logged_model(client: AsgiDriver) -> str:
    experiment_id = client.call("POST", "/experiments/create", {"name": "wire"})["experiment_id"]
    model = client.call("POST", "/logged-models", {"experiment_id": experiment_id, "name": "model"})["model"]
    return model["info"]["model_id"]


def _auth(user: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:secret".encode()).decode()}


def test_json_shapes_as_mlflow_serves_them(client: AsgiDriver) -> None:
    model_id = _logged_model(client)
    created = client.call("POST", "/registered-models/create", {"name": "wire-a", "tags": [{"key": "t", "value": "1"}]})
    rm = created["registered_model"]
    assert rm["name"] == "wire-a" and rm["tags"] == [{"key": "t", "value": "1"}]
    assert isinstance(rm["creation_timestamp"], int) and "latest_versions" not in rm and "aliases" not in rm

    mv = client.call("POST", "/model-versions/create",
                     {"name": "wire-a", "source": f"models:/{model_id}", "model_id": model_id})["model_version"]
    assert mv["version"] == "1" and mv["current_stage"] == "None" and mv["description"] == ""
    assert mv["run_link"] == "" and mv["status"] == "READY" and mv["source"] == f"models:/{model_id}"
    assert isinstance(mv["creation_timestamp"], int) and "aliases" not in mv

    client.call("POST", "/registered-models/alias", {"name": "wire-a", "alias": "champion", "version": "1"})
    by_alias = client.call("GET", "/registered-models/alias", {"name": "wire-a", "alias": "champion"})
    assert by_alias["model_version"]["aliases"] == ["champion"] and by_alias["model_version"]["version"] == "1"
    got = client.call("GET", "/registered-models/get", {"name": "wire-a"})["registered_model"]
    assert got["aliases"] == [{"alias": "champion", "version": "1"}]
    assert [v["version"] for v in got["latest_versions"]] == ["1"]
    assert got["latest_versions"][0]["current_stage"] == "None"

    searched = client.call("GET", "/registered-models/search",
                           {"filter": "tag.`mlflow.prompt.is_prompt` != 'true'", "max_results": 100})
    assert [m["name"] for m in searched["registered_models"]] == ["wire-a"]
    versions = client.call("GET", "/model-versions/search", {"filter": "name='wire-a'", "max_results": 10000})
    assert [v["version"] for v in versions["model_versions"]] == ["1"]
    uri = client.call("GET", "/model-versions/get-download-uri", {"name": "wire-a", "version": "1"})
    assert uri["artifact_uri"].endswith(f"/models/{model_id}/artifacts")

    latest = client.call("POST", "/registered-models/get-latest-versions", {"name": "wire-a", "stages": ["None"]})
    assert [v["version"] for v in latest["model_versions"]] == ["1"]
    assert client.call("GET", "/registered-models/get-latest-versions", {"name": "wire-a"}) == latest

    moved = client.call("POST", "/model-versions/transition-stage",
                        {"name": "wire-a", "version": "1", "stage": "staging", "archive_existing_versions": False})
    assert moved["model_version"]["current_stage"] == "Staging"
    updated = client.call("PATCH", "/model-versions/update", {"name": "wire-a", "version": "1", "description": "d"})
    assert updated["model_version"]["description"] == "d"
    assert client.call("PATCH", "/registered-models/update",
                       {"name": "wire-a", "description": "m"})["registered_model"]["description"] == "m"


def test_deletes_read_the_json_body(client: AsgiDriver) -> None:
    model_id = _logged_model(client)
    client.call("POST", "/registered-models/create", {"name": "del"})
    client.call("POST", "/model-versions/create", {"name": "del", "source": f"models:/{model_id}", "model_id": model_id})
    client.call("POST", "/registered-models/set-tag", {"name": "del", "key": "k", "value": "v"})
    client.call("POST", "/model-versions/set-tag", {"name": "del", "version": "1", "key": "k", "value": "v"})
    client.call("POST", "/registered-models/alias", {"name": "del", "alias": "a", "version": "1"})
    # A query-only DELETE is missing its fields, as on MLflow (which reads the body).
    response = client.request("DELETE", "/api/2.0/mlflow/registered-models/delete?name=del")
    assert response.status == 400 and response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    client.call("DELETE", "/registered-models/delete-tag", {"name": "del", "key": "k"})
    client.call("DELETE", "/model-versions/delete-tag", {"name": "del", "version": "1", "key": "k"})
    client.call("DELETE", "/registered-models/alias", {"name": "del", "alias": "a"})
    client.call("DELETE", "/model-versions/delete", {"name": "del", "version": "1"})
    client.call("GET", "/model-versions/get", {"name": "del", "version": "1"}, expect=404)
    client.call("DELETE", "/registered-models/delete", {"name": "del"})
    missing = client.call("GET", "/registered-models/get", {"name": "del"}, expect=404)
    assert missing["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_errors_use_mlflow_codes(client: AsgiDriver) -> None:
    client.call("POST", "/registered-models/create", {"name": "dup"})
    again = client.call("POST", "/registered-models/create", {"name": "dup"}, expect=400)
    assert again["error_code"] == "RESOURCE_ALREADY_EXISTS"
    bad_stage = client.call("POST", "/model-versions/transition-stage",
                            {"name": "dup", "version": "1", "stage": "Shipping", "archive_existing_versions": False},
                            expect=400)
    assert bad_stage["error_code"] == "INVALID_PARAMETER_VALUE"
    too_many = client.call("GET", "/registered-models/search", {"max_results": 1001}, expect=400)
    assert "1000" in too_many["message"]


def test_sources_outside_the_artifact_roots_are_refused(client: AsgiDriver, tmp_path) -> None:
    client.call("POST", "/registered-models/create", {"name": "src"})
    for source in ("/etc", "file:///etc/passwd", str(tmp_path / "elsewhere")):
        body = client.call("POST", "/model-versions/create", {"name": "src", "source": source}, expect=400)
        assert body["error_code"] == "INVALID_PARAMETER_VALUE" and "artifact root" in body["message"]
    mismatched = client.call("POST", "/model-versions/create",
                             {"name": "src", "source": "models:/m-0123456789abcdef0123456789abcdef"}, expect=400)
    assert "model_id" in mismatched["message"]


def test_audit_routes_record_the_basic_auth_user(client: AsgiDriver) -> None:
    model_id = _logged_model(client)
    client.request("POST", "/api/2.0/mlflow/registered-models/create", json_body={"name": "audited"},
                   headers=_auth("alice"))
    client.request("POST", "/api/2.0/mlflow/model-versions/create",
                   json_body={"name": "audited", "source": f"models:/{model_id}", "model_id": model_id},
                   headers=_auth("alice"))
    response = client.request("POST", "/api/2.0/mlflow/model-versions/transition-stage", headers=_auth("bob"),
                              json_body={"name": "audited", "version": "1", "stage": "Production",
                                         "archive_existing_versions": True})
    assert response.status == 200
    events = client.call("GET", "/registered-models/history", {"name": "audited"})["events"]
    transition = [e for e in events if e["action"] == "TRANSITION_STAGE"]
    assert [(e["user_id"], e["version"], e["to_value"]) for e in transition] == [("bob", "1", "Production")]
    assert {e["user_id"] for e in events if e["action"] == "CREATE_VERSION"} == {"alice"}
    assert all(isinstance(e["timestamp"], int) and isinstance(e["event_id"], int) for e in events)
    at = transition[0]["timestamp"]
    assert client.call("GET", "/registered-models/version-at",
                       {"name": "audited", "timestamp": at, "stage": "Production"}) == {"version": "1"}
    assert client.call("GET", "/registered-models/version-at",
                       {"name": "audited", "timestamp": at - 1000, "stage": "Production"}) == {}
    both = client.call("GET", "/registered-models/version-at",
                       {"name": "audited", "timestamp": at, "stage": "Production", "alias": "x"}, expect=400)
    assert "exactly one" in both["message"]
    assert client.call("GET", "/registered-models/history", {"name": "audited", "since": at + 10**9})["events"] == []


@pytest.mark.parametrize("header,user", [
    ("Basic " + base64.b64encode(b"alice:pw").decode(), "alice"),
    ("basic " + base64.b64encode(b"bob:").decode(), "bob"),
    ("Basic " + base64.b64encode(b"nocolon").decode(), None),
    ("Basic !!!", None),
    ("Bearer token", None),
    (None, None),
])
def test_basic_auth_user(header, user) -> None:
    assert basic_auth_user(header) == user
