"""``runyard models serve`` as users run it: a real subprocess answering /invocations."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from runyard.cli.main import cli
from tests.live_server import free_port
from tests.scoring.processes import RUNYARD, post_json, start, stop, wait_ready


def test_timeout_setting_is_checked(monkeypatch):
    monkeypatch.setenv("RUNYARD_SCORING_SERVER_REQUEST_TIMEOUT", "soon")
    result = CliRunner().invoke(cli, ["models", "serve", "-m", "models:/x/1"])
    assert result.exit_code == 2
    assert "must be a number, got 'soon'" in result.output


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_subprocess_answers_invocations(served_models, workers):
    port = free_port()
    process = start([RUNYARD, "models", "serve", "-m", served_models["sklearn"], "-p", str(port), "-w", str(workers),
                     "--tracking-uri", served_models["tracking"], "--env-manager", "local"])
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(process, url, 60)
        body = {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 1.0]]}}
        assert post_json(url, body)["predictions"] == [pytest.approx(5.0)]
    finally:
        stop(process)
