"""``runyard server --promotion-policy FILE``: stage transitions that break a rule are refused (403,
PERMISSION_DENIED, naming the rule) for every client; a broken policy file stops the start."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import runyard
from runyard import MlflowClient
from runyard.errors import PermissionDenied
from runyard.stores import factory
from tests.live_server import free_port, live_server
from tests.registry.seed import train_best_run

pytestmark = pytest.mark.filterwarnings("ignore:.*Model registry stages will be removed:FutureWarning")

POLICY = """\
rules:
  - stage: Production
    required_tags: {validation_status: approved}
    required_previous_stage: Staging
"""


@pytest.fixture
def policy_server(tracking, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    with live_server(f"sqlite:///{tmp_path}/server.db", str(tmp_path / "artifacts"),
                     promotion_policy=str(policy)) as server:
        factory.clear_cache()
        runyard.set_tracking_uri(server.url)
        yield server


def _transition_status(url: str, version: str) -> tuple[int, dict]:
    body = json.dumps({"name": "guarded", "version": version, "stage": "Production",
                       "archive_existing_versions": False}).encode()
    request = urllib.request.Request(url + "/api/2.0/mlflow/model-versions/transition-stage", data=body,
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_transitions_that_break_the_policy_are_refused(policy_server):
    best = train_best_run(runyard)
    mv = runyard.register_model(f"runs:/{best.run_id}/model", "guarded")
    client = MlflowClient()
    with pytest.raises(PermissionDenied, match="validation_status=approved"):
        client.transition_model_version_stage("guarded", mv.version, "Production")
    status, body = _transition_status(policy_server.url, mv.version)
    assert status == 403 and body["error_code"] == "PERMISSION_DENIED"

    client.set_model_version_tag("guarded", mv.version, "validation_status", "approved")
    with pytest.raises(PermissionDenied, match="been in Staging"):
        client.transition_model_version_stage("guarded", mv.version, "Production")
    client.transition_model_version_stage("guarded", mv.version, "Staging")
    moved = client.transition_model_version_stage("guarded", mv.version, "Production")
    assert moved.current_stage == "Production"
    refused = [e for e in client.get_registry_history("guarded") if e.to_value == "Production"]
    assert len(refused) == 1  # refused transitions leave no event


def _runyard() -> list[str]:
    script = Path(sys.executable).parent / "runyard"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from runyard.cli import main; main()"]


@pytest.mark.parametrize("content,message", [
    ('{"rules": [{"stage": "Shipping"}]}', "Invalid promotion policy"),
    ('{"rules": [{"stage": "Production", "required_tag": {}}]}', "unknown key"),
    ("{not json", "not valid JSON"),
    (None, "does not exist"),
])
def test_a_broken_policy_stops_the_start_with_one_error_line(tmp_path, content, message):
    policy = tmp_path / "policy.json"
    if content is not None:
        policy.write_text(content)
    result = subprocess.run(_runyard() + ["server", "--backend-store-uri", f"sqlite:///{tmp_path}/x.db",
                                          "--port", str(free_port()), "--promotion-policy", str(policy)],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr
