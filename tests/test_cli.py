"""The ``runyard`` command line, run through click's CliRunner against real SQLite stores."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from runyard.cli import cli
from runyard.client import RunyardClient
from runyard.client.tracking_uri import set_tracking_uri
from runyard.stores import factory

_ENV = ("TRACKING_URI", "EXPERIMENT_NAME", "EXPERIMENT_ID", "RUN_ID", "ENABLE_ASYNC_LOGGING")


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in _ENV:
        for prefix in ("RUNYARD_", "MLFLOW_"):
            monkeypatch.delenv(prefix + name, raising=False)
    monkeypatch.chdir(tmp_path)
    set_tracking_uri("")
    factory.clear_cache()
    yield
    set_tracking_uri("")
    factory.clear_cache()


@pytest.fixture
def uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A store URI, also set as RUNYARD_TRACKING_URI for commands run without --tracking-uri."""
    value = f"sqlite:///{tmp_path}/tracking.db"
    monkeypatch.setenv("RUNYARD_TRACKING_URI", value)
    return value


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="runyard")


def ok(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def assert_one_line_error(result: Result, *fragments: str) -> None:
    assert result.exit_code != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def table(text: str) -> list[list[str]]:
    """Rows of a printed table (header and rule dropped), split on runs of two or more spaces."""
    import re

    lines = text.splitlines()
    assert set(lines[1]) <= {"-", " "}
    return [re.split(r"\s{2,}", line.strip()) for line in lines[2:]]


def seed_run(uri: str, experiment_id: str = "0", name: str = "seeded") -> str:
    client = RunyardClient(uri)
    run = client.create_run(experiment_id, run_name=name)
    run_id = run.info.run_id
    client.log_param(run_id, "max_depth", 6)
    client.log_metric(run_id, "loss", 0.5, step=0)
    client.log_metric(run_id, "loss", 0.25, step=1)
    client.set_tag(run_id, "team", "data-science")
    client.set_terminated(run_id)
    return run_id


# -- version and usage ------------------------------------------------------------------------------
def test_version():
    assert ok("--version") == "runyard, version 0.1.0\n"


def test_installed_entry_point_prints_version():
    exe = shutil.which("runyard", path=os.path.dirname(sys.executable))
    assert exe is not None, "the runyard console script is not installed next to this interpreter"
    done = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "runyard, version 0.1.0\n"
    assert done.stderr == ""


def test_version_and_help_do_not_import_the_database_layer():
    code = (
        "import sys\n"
        "from runyard.cli import cli\n"
        "for args in (['--version'], ['--help'], ['runs', '--help'], ['db', 'upgrade', '--help']):\n"
        "    assert cli.main(args, prog_name='runyard', standalone_mode=False) in (None, 0)\n"
        "loaded = [m for m in ('sqlalchemy', 'alembic', 'pandas', 'runyard.stores.sql.engine') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def test_missing_option_is_one_line_usage_error():
    result = invoke("runs", "describe")
    assert_one_line_error(result, "Missing option '--run-id'", "runyard runs describe --help")
    assert result.exit_code == 2


def test_unknown_option_and_bad_choice_are_one_line_errors(uri: str):
    assert_one_line_error(invoke("--bogus"), "No such option")
    assert_one_line_error(invoke("experiments", "list", "--view", "sometimes"), "sometimes")
    assert_one_line_error(invoke("nonsense"), "No such command")


# -- experiments ------------------------------------------------------------------------------------
def test_experiments_create_and_list_with_tracking_uri_option(tmp_path: Path):
    uri = f"sqlite:///{tmp_path}/opt.db"
    out = ok("experiments", "create", "-n", "Housing", "--tracking-uri", uri)
    assert out == "Created experiment 'Housing' with id 1\n"
    location = (tmp_path / "elsewhere").as_uri()
    ok("experiments", "create", "-n", "Custom", "-l", location, "--tracking-uri", uri)

    out = ok("experiments", "list", "--tracking-uri", uri)
    assert out.splitlines()[0].split() == ["Experiment", "Id", "Name", "Lifecycle", "Stage", "Artifact", "Location"]
    rows = {row[1]: row for row in table(out)}
    assert set(rows) == {"Default", "Housing", "Custom"}
    assert rows["Housing"][0] == "1" and rows["Housing"][2] == "active"
    assert rows["Custom"][3] == location
    assert rows["Default"][0] == "0"
    assert RunyardClient(uri).get_experiment_by_name("Custom").artifact_location == location


def test_experiments_delete_restore_and_views(uri: str):
    ok("experiments", "create", "-n", "gone")
    assert ok("experiments", "delete", "-x", "1") == "Experiment with id 1 has been deleted.\n"

    assert {row[1] for row in table(ok("experiments", "list"))} == {"Default"}
    deleted = table(ok("experiments", "list", "--view", "deleted_only"))
    assert [(row[0], row[1], row[2]) for row in deleted] == [("1", "gone", "deleted")]
    assert {row[1] for row in table(ok("experiments", "list", "-v", "ALL"))} == {"Default", "gone"}

    assert ok("experiments", "restore", "-x", "1") == "Experiment with id 1 has been restored.\n"
    assert {row[1] for row in table(ok("experiments", "list"))} == {"Default", "gone"}
    assert RunyardClient(uri).get_experiment("1").lifecycle_stage == "active"


def test_experiment_errors_are_one_line(uri: str):
    ok("experiments", "create", "-n", "twice")
    assert_one_line_error(invoke("experiments", "create", "-n", "twice"), "twice")
    assert_one_line_error(invoke("experiments", "delete", "-x", "999"), "999")
    assert_one_line_error(invoke("experiments", "restore", "-x", "999"), "999")


def test_mlflow_tracking_uri_is_the_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow-env.db")
    ok("experiments", "create", "-n", "from-mlflow-env")
    assert (tmp_path / "mlflow-env.db").exists()
    assert not (tmp_path / "runyard.db").exists()


def test_embedded_default_store_is_in_the_working_directory(tmp_path: Path):
    ok("experiments", "create", "-n", "embedded")
    assert (tmp_path / "runyard.db").exists()
    rows = {row[1]: row for row in table(ok("experiments", "list"))}
    assert rows["embedded"][3] == (tmp_path / "runyard-artifacts" / "1").as_uri()


# -- runs -------------------------------------------------------------------------------------------
def test_runs_list(uri: str):
    first = seed_run(uri, name="first")
    second = seed_run(uri, name="second")
    out = ok("runs", "list", "--experiment-id", "0")
    assert out.splitlines()[0].split() == ["Run", "Id", "Name", "Status", "Start", "Time"]
    rows = table(out)
    assert {(r[0], r[1], r[2]) for r in rows} == {(first, "first", "FINISHED"), (second, "second", "FINISHED")}
    assert all(len(r[3]) == len("2024-01-01 00:00:00") for r in rows)
    assert_one_line_error(invoke("runs", "list", "--experiment-id", "42"), "42")


def test_runs_describe(uri: str):
    run_id = seed_run(uri)
    described = json.loads(ok("runs", "describe", "--run-id", run_id))
    info = described["info"]
    assert info["run_id"] == info["run_uuid"] == run_id
    assert info["experiment_id"] == "0"
    assert info["run_name"] == "seeded"
    assert info["status"] == "FINISHED"
    assert info["lifecycle_stage"] == "active"
    assert isinstance(info["start_time"], int) and isinstance(info["end_time"], int)
    assert info["artifact_uri"].endswith(f"/0/{run_id}/artifacts")
    assert described["data"]["metrics"] == {"loss": 0.25}
    assert described["data"]["params"] == {"max_depth": "6"}
    assert described["data"]["tags"]["team"] == "data-science"
    assert described["data"]["tags"]["mlflow.runName"] == "seeded"


def test_runs_delete_and_restore(uri: str):
    run_id = seed_run(uri)
    assert ok("runs", "delete", "--run-id", run_id) == f"Run with id {run_id} has been deleted.\n"
    assert table(ok("runs", "list", "--experiment-id", "0")) == []
    assert [r[0] for r in table(ok("runs", "list", "--experiment-id", "0", "-v", "deleted_only"))] == [run_id]
    assert json.loads(ok("runs", "describe", "--run-id", run_id))["info"]["lifecycle_stage"] == "deleted"

    assert ok("runs", "restore", "--run-id", run_id) == f"Run with id {run_id} has been restored.\n"
    assert [r[0] for r in table(ok("runs", "list", "--experiment-id", "0"))] == [run_id]


def test_unknown_run_is_one_line_error(uri: str):
    missing = "0" * 32
    for command in ("describe", "delete", "restore"):
        assert_one_line_error(invoke("runs", command, "--run-id", missing), missing)


# -- db upgrade -------------------------------------------------------------------------------------
def test_db_upgrade_fresh_then_current(tmp_path: Path):
    db_uri = f"sqlite:///{tmp_path}/fresh.db"
    out = ok("db", "upgrade", db_uri)
    assert out.startswith(f"Upgraded database {db_uri} from revision (empty) to ")
    head = out.rstrip(".\n").rsplit(" ", 1)[1]
    assert (tmp_path / "fresh.db").exists()

    out = ok("db", "upgrade", db_uri)
    assert out == f"Database {db_uri} is already at the newest revision {head}.\n"

    # The upgraded database is a working store with the Default experiment.
    assert RunyardClient(db_uri).get_experiment("0").name == "Default"


def test_db_upgrade_of_a_store_in_use(uri: str):
    run_id = seed_run(uri)
    factory.clear_cache()
    assert "already at the newest revision" in ok("db", "upgrade", uri)
    assert RunyardClient(uri).get_run(run_id).data.params == {"max_depth": "6"}


def test_db_upgrade_rejects_a_non_database_uri(tmp_path: Path):
    assert_one_line_error(invoke("db", "upgrade", str(tmp_path / "plain-dir")), "Not a database URI")
    assert_one_line_error(invoke("db", "upgrade", "http://localhost:5000"), "Not a database URI")


def test_db_upgrade_hides_passwords():
    from runyard.cli.db import redact

    assert redact("postgresql://alice:s3cret@db.example:5432/test") == "postgresql://alice:***@db.example:5432/test"
    assert redact("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
