"""``runyard models serve`` as users run it: a real subprocess answering /invocations."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from click.testing import CliRunner

from runyard.cli.main import cli
from tests.live_server import free_port

RUNYARD = os.path.join(os.path.dirname(sys.executable), "runyard")


def test_other_env_managers_are_refused():
    result = CliRunner().invoke(cli, ["models", "serve", "-m", "models:/x/1", "--env-manager", "virtualenv"])
    assert result.exit_code != 0
    assert "not supported yet; use --env-manager local" in result.output


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_subprocess_answers_invocations(served_models, workers):
    port = free_port()
    process = subprocess.Popen(
        [RUNYARD, "models", "serve", "-m", served_models["sklearn"], "-p", str(port), "-w", str(workers),
         "--tracking-uri", served_models["tracking"], "--env-manager", "local"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read().decode()[-2000:]
            try:
                with urllib.request.urlopen(url + "/ping", timeout=1) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "scoring server did not become ready"
                time.sleep(0.1)
        body = json.dumps({"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 1.0]]}}).encode()
        request = urllib.request.Request(url + "/invocations", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            predictions = json.loads(response.read())["predictions"]
        assert predictions == [pytest.approx(5.0)]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        process.stderr.close()
