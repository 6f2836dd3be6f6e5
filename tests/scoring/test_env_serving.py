"""``--env-manager virtualenv|uv``: real environments built from the model's python_env.yaml and
requirements.txt (pip or uv downloads; no system site-packages), served and reused.

These are the slow scoring tests (marked ``env_build``): each environment build installs runyard's
dependencies and the model's (cloudpickle, pandas) into a fresh venv.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from runyard.scoring import cache
from tests.live_server import free_port
from tests.scoring.processes import RUNYARD, post_json, start, stop, wait_ready

pytestmark = pytest.mark.env_build

BUILD_SECONDS = 420
BODY = {"dataframe_split": {"columns": ["x"], "data": [[1.0], [2.5]]}}
WANTED = {"predictions": [{"y": 2.0}, {"y": 5.0}]}


def _built_envs(root):
    return sorted(p for p in root.iterdir() if cache.is_built(p) and p.name != "wheels")


def test_virtualenv_is_built_once_then_reused_by_serve_and_predict(doubler, env_root, tmp_path):
    env = {"RUNYARD_ENV_ROOT": str(env_root)}
    ports = [free_port(), free_port()]
    logs = [tmp_path / "serve-0.log", tmp_path / "serve-1.log"]
    processes = []
    try:
        # Two serves of the same model at once: one builds, the other waits for it and reuses it.
        for port, log in zip(ports, logs):
            with open(log, "wb") as err:
                processes.append(start([RUNYARD, "models", "serve", "-m", doubler["path"], "-p", str(port),
                                        "--env-manager", "virtualenv"], stderr=err, env=env))
        for process, port, log in zip(processes, ports, logs):
            url = f"http://127.0.0.1:{port}"
            wait_ready(process, url, BUILD_SECONDS, log=str(log))
            assert post_json(url, BODY) == WANTED
    finally:
        for process in processes:
            stop(process)
    text = "".join(log.read_text() for log in logs)
    assert text.count("Building the model environment in") == 1, text
    assert text.count("Built the model environment") == 1, text
    assert "(virtualenv, Python" in text
    built = [p for p in _built_envs(env_root) if (p / "venv").is_dir()]
    assert len(built) == 1
    marker_time = cache.marker_of(built[0]).stat().st_mtime_ns
    packages = subprocess.run([str(built[0] / "venv" / "bin" / "python"), "-I", "-c",
                               "import sys, runyard, cloudpickle; print(sys.prefix, runyard.__file__)"],
                              capture_output=True, text=True, check=True).stdout
    assert str(built[0]) in packages.split()[1]  # runyard runs from the environment, not the checkout

    # predict on the registered copy of the same model: downloaded, same environment files, reused;
    # a runyard that differs from the environment's (as after editing a source tree) is reinstalled alone.
    (built[0] / "runyard-fingerprint").write_text("an older runyard")
    (tmp_path / "in.csv").write_text("x\n1.0\n2.5\n")
    done = subprocess.run([RUNYARD, "models", "predict", "-m", doubler["uri"], "--tracking-uri", doubler["tracking"],
                           "-i", str(tmp_path / "in.csv"), "--env-manager", "virtualenv"],
                          capture_output=True, text=True, env={**os.environ, **env}, timeout=BUILD_SECONDS)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == WANTED
    assert "Using the cached model environment" in done.stderr and "Building" not in done.stderr
    assert "Updating runyard in the model environment" in done.stderr
    assert cache.marker_of(built[0]).stat().st_mtime_ns == marker_time


def test_uv_environment_serves(doubler, env_root, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    started = time.monotonic()
    with open(log, "wb") as err:
        process = start([RUNYARD, "models", "serve", "-m", doubler["path"], "-p", str(port), "--env-manager", "uv",
                         "-t", "30"], stderr=err, env={"RUNYARD_ENV_ROOT": str(env_root)})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(process, url, BUILD_SECONDS, log=str(log))
        assert post_json(url, BODY) == WANTED
    finally:
        stop(process)
    text = log.read_text()
    assert "(uv, Python" in text and "Built the model environment" in text, text
    assert time.monotonic() - started < BUILD_SECONDS
