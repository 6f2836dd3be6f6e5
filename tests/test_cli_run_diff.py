"""``runyard runs diff RUN_A RUN_B``: tables per section, --all, --json, and one-line errors, on a real
SQLite store (``RunyardClient.diff_runs`` underneath)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from runyard.cli import cli
from runyard.client import RunyardClient
from runyard.client.tracking_uri import set_tracking_uri
from runyard.entities.run_diff import ArtifactDiff, ValueDiff
from runyard.stores import factory


@pytest.fixture
def uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in ("RUNYARD_TRACKING_URI", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    set_tracking_uri("")
    factory.clear_cache()
    yield f"sqlite:///{tmp_path}/tracking.db"
    set_tracking_uri("")
    factory.clear_cache()


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="runyard")


def _two_runs(uri: str, tmp_path: Path) -> tuple[str, str]:
    client = RunyardClient(uri)
    experiment_id = client.create_experiment("diff")
    a = client.create_run(experiment_id, run_name="a").info.run_id
    b = client.create_run(experiment_id, run_name="b").info.run_id
    for run_id, lr, loss in ((a, "0.1", 0.5), (b, "0.2", 0.5)):
        client.log_param(run_id, "lr", lr)
        client.log_param(run_id, "seed", "7")
        client.log_metric(run_id, "loss", loss)
    client.log_metric(a, "acc", math.nan)
    client.set_tag(b, "note", "x" * 100)
    client.log_text(a, "same", "shared.txt")
    client.log_text(b, "same", "shared.txt")
    client.log_text(a, "one", "model/MLmodel")
    client.log_text(b, "three", "model/MLmodel")
    return a, b


def test_diff_prints_a_table_per_section(uri: str, tmp_path: Path) -> None:
    a, b = _two_runs(uri, tmp_path)
    result = invoke("runs", "diff", a, b, "--tracking-uri", uri)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for title in ("Params", "Metrics", "Tags", "Artifacts"):
        assert f"\n{title}\n" in f"\n{out}"
    assert "lr" in out and "changed" in out and "seed" not in out  # only differences by default
    assert "acc" in out and "only_a" in out and "model/MLmodel" in out and "shared.txt" not in out
    assert "x" * 100 not in out and "xxx..." in out  # long values are cut in tables
    everything = invoke("runs", "diff", a, b, "--all", "--tracking-uri", uri).stdout
    assert "seed" in everything and "shared.txt" in everything and "same" in everything


def test_diff_as_json_matches_the_client(uri: str, tmp_path: Path) -> None:
    a, b = _two_runs(uri, tmp_path)
    result = invoke("runs", "diff", a, b, "--all", "--json", "--tracking-uri", uri)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == {"run_a", "run_b", "params", "metrics", "tags", "artifacts", "truncated"}
    assert {"key": "acc", "a": "NaN", "b": None, "status": "only_a"} in body["metrics"]
    diff = RunyardClient(uri).diff_runs(a, b)
    assert diff.params == (ValueDiff("lr", "0.1", "0.2", "changed"), ValueDiff("seed", "7", "7", "same"))
    assert diff.artifacts == (ArtifactDiff("model/MLmodel", 3, 5, "changed"),
                              ArtifactDiff("shared.txt", 4, 4, "same"))
    assert [d["path"] for d in body["artifacts"]] == ["model/MLmodel", "shared.txt"]


def test_diff_of_a_missing_run_is_one_line_error(uri: str, tmp_path: Path) -> None:
    a, _ = _two_runs(uri, tmp_path)
    result = invoke("runs", "diff", a, "f" * 32, "--tracking-uri", uri)
    assert result.exit_code != 0 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr
    usage = invoke("runs", "diff", a)
    assert usage.exit_code != 0 and len(usage.stderr.splitlines()) == 1
