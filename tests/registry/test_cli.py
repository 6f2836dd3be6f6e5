"""``runyard models list|describe|history|set-alias|transition|delete`` through click's CliRunner,
on the embedded store and against a live server."""

from __future__ import annotations

import datetime
import json
import time

import pytest
from click.testing import CliRunner, Result

import runyard
from runyard import MlflowClient
from runyard.cli import cli
from tests.registry.seed import train_best_run


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="runyard")


def ok(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


@pytest.fixture
def registered(backend):
    """Model "house" with versions 1 and 2, registered through the fluent API."""
    best = train_best_run(runyard)
    for _ in range(2):
        runyard.register_model(f"runs:/{best.run_id}/model", "house")
    return backend.uri


def test_list_describe_set_alias_and_transition(registered):
    uri = registered
    assert "Alias 'champion' of model 'house' now points at version 2." in ok(
        "models", "set-alias", "house", "champion", "2", "--tracking-uri", uri)
    assert "version 1 is now in stage Production" in ok(
        "models", "transition", "house", "1", "production", "--tracking-uri", uri)
    assert "version 2 is now in stage Production" in ok(
        "models", "transition", "house", "2", "Production", "--archive-existing", "--tracking-uri", uri)
    assert MlflowClient().get_model_version("house", "1").current_stage == "Archived"

    listing = ok("models", "list", "--tracking-uri", uri).splitlines()
    assert listing[0].split() == ["Name", "Latest", "Versions", "Aliases", "Last", "Updated"]
    assert listing[2].startswith("house") and "Archived:1, Production:2" in listing[2] and "@champion:2" in listing[2]
    assert ok("models", "list", "--filter", "name = 'nothing'", "--tracking-uri", uri).count("\n") == 2

    described = json.loads(ok("models", "describe", "house", "--tracking-uri", uri))
    assert described["name"] == "house" and described["aliases"] == {"champion": "2"}
    assert [(v["version"], v["current_stage"]) for v in described["versions"]] == [("1", "Archived"),
                                                                                    ("2", "Production")]


def test_history_and_history_at(registered):
    uri = registered
    ok("models", "transition", "house", "1", "Production", "--tracking-uri", uri)
    ok("models", "set-alias", "house", "champion", "1", "--tracking-uri", uri)
    time.sleep(0.01)
    between = int(time.time() * 1000)
    time.sleep(0.01)
    ok("models", "transition", "house", "2", "Production", "--archive-existing", "--tracking-uri", uri)
    ok("models", "set-alias", "house", "champion", "2", "--tracking-uri", uri)

    lines = ok("models", "history", "house", "--tracking-uri", uri).splitlines()
    assert lines[0].split()[:4] == ["Time", "Action", "Version", "Stage/Alias"]
    actions = [line.split()[2] for line in lines[2:]]
    assert actions.count("CREATE_VERSION") == 2 and actions.count("SET_ALIAS") == 2
    assert actions.count("TRANSITION_STAGE") == 3

    at_ms = ok("models", "history", "house", "--at", str(between), "--tracking-uri", uri)
    iso = datetime.datetime.fromtimestamp(between / 1000).isoformat()
    at_iso = ok("models", "history", "house", "--at", iso, "--tracking-uri", uri)
    for output in (at_ms, at_iso):
        rows = {line.split()[0]: line.split()[1] for line in output.splitlines()[3:]}
        assert rows == {"Staging": "-", "Production": "1", "@champion": "1"}
    now = ok("models", "history", "house", "--at", "9999999999999", "--tracking-uri", uri)
    assert {line.split()[0]: line.split()[1] for line in now.splitlines()[3:]}["Production"] == "2"
    since = ok("models", "history", "house", "--since", str(between), "--tracking-uri", uri).splitlines()
    assert len(since) == 2 + 3  # the archive, the transition and the alias move after `between`

    bad = invoke("models", "history", "house", "--at", "yesterday-ish", "--tracking-uri", uri)
    assert bad.exit_code == 2 and "ISO 8601" in bad.output


def test_delete_and_errors(registered):
    uri = registered
    assert "Version 1 of model 'house' has been deleted." in ok(
        "models", "delete", "house", "--version", "1", "--tracking-uri", uri)
    assert [v.version for v in runyard.search_model_versions(filter_string="name = 'house'")] == ["2"]
    missing = invoke("models", "describe", "nope", "--tracking-uri", uri)
    assert missing.exit_code == 1 and missing.output.startswith("Error: ") and "nope" in missing.output
    bad_stage = invoke("models", "transition", "house", "2", "Shipping", "--tracking-uri", uri)
    assert bad_stage.exit_code == 2
    assert "Registered model 'house' has been deleted." in ok("models", "delete", "house", "--tracking-uri", uri)
    assert runyard.search_registered_models() == []
