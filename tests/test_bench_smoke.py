"""Smoke test of the benchmark harness: it runs and its read-back verification passes.

Benchmarks are not tests: nothing here looks at timings. Only runyard runs (no MLflow subprocess).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench", "bench_tracking.py")


def test_bench_quick_log_metric_runyard_only(tmp_path):
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "RUNYARD_"))}
    proc = subprocess.run(
        [sys.executable, BENCH, "--quick", "--only", "log_metric", "--only-runyard", "--json", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, f"harness failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    payload = json.loads(out.read_text())
    [workload] = payload["workloads"]
    assert workload["name"] == "log_metric"
    result = workload["results"]["runyard"]
    assert result["ok"] is True, result
    assert result["n"] == workload["params"]["runyard"]["n"] > 0
    assert "mlflow" not in workload["results"]


SERVER_BENCH = os.path.join(ROOT, "bench", "bench_server.py")


def test_server_bench_quick_runyard_only(tmp_path):
    """bench_server.py starts a real runyard server, drives it from client processes, reads every
    write back and stops the whole process tree (no MLflow server or client)."""
    out = tmp_path / "server.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "RUNYARD_"))}
    proc = subprocess.Popen(
        [sys.executable, SERVER_BENCH, "--quick", "--only-runyard", "--json", str(out)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.terminate()  # SIGTERM: the harness stops its server's process group on the way out
        stdout, stderr = proc.communicate(timeout=30)
        raise AssertionError(f"server benchmark timed out:\n{stdout[-4000:]}\n{stderr[-4000:]}") from None
    assert proc.returncode == 0, f"server benchmark failed:\n{stdout[-4000:]}\n{stderr[-4000:]}"
    assert "workload" in stdout and "speedup" in stdout and "log-batch" in stdout  # the table
    payload = json.loads(out.read_text())
    assert list(payload["results"]) == ["runyard"]
    results = payload["results"]["runyard"]
    for key in ("ready_fresh", "idle_rss", "lat_own", "lat_raw", "load_raw", "batch"):
        assert results[key]["ok"] is True, (key, results[key])
    assert "lat_mlflow" not in results
    assert results["batch"]["verified"] and results["load_raw"]["verified"]


MODELS_BENCH = os.path.join(ROOT, "bench", "bench_models.py")


def test_models_bench_quick_runyard_only(tmp_path):
    """bench_models.py logs and loads two scikit-learn models through runyard and checks that the
    loaded models predict what the fitted ones do (no MLflow)."""
    out = tmp_path / "models.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "RUNYARD_"))}
    proc = subprocess.run([sys.executable, MODELS_BENCH, "--quick", "--only-runyard", "--json", str(out)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"harness failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    rows = json.loads(out.read_text())["rows"]
    assert {(r["model"], r["workload"]) for r in rows} == {
        (m, w) for m in ("LinearRegression", "RandomForest(50)") for w in ("log_model", "load_predict")}
    assert all(r["runyard"] > 0 and "mlflow" not in r for r in rows)


SCORING_BENCH = os.path.join(ROOT, "bench", "bench_scoring.py")


def test_scoring_bench_quick_runyard_only(tmp_path):
    """bench_scoring.py saves a model, serves it with `runyard models serve`, times requests on one
    keep-alive connection and checks every answer against the fitted model (no MLflow)."""
    out = tmp_path / "scoring.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "RUNYARD_"))}
    proc = subprocess.Popen(
        [sys.executable, SCORING_BENCH, "--quick", "--only-runyard", "--requests", "50", "--json", str(out)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.terminate()  # SIGTERM: the harness stops its server's process group on the way out
        stdout, stderr = proc.communicate(timeout=30)
        raise AssertionError(f"scoring benchmark timed out:\n{stdout[-4000:]}\n{stderr[-4000:]}") from None
    assert proc.returncode == 0, f"scoring benchmark failed:\n{stdout[-4000:]}\n{stderr[-4000:]}"
    assert "workload" in stdout and "speedup" in stdout and "keep-alive" in stdout  # the table
    payload = json.loads(out.read_text())
    assert list(payload["results"]) == ["runyard"]
    results = payload["results"]["runyard"]
    for key in ("ready", "first_call", "ready_rss", "lat1", "rps1", "lat100", "loaded_rss"):
        assert results[key]["ok"] is True, (key, results[key])
    assert results["lat1"]["check"] == {**results["lat1"]["check"], "checked": 70, "problems": []}
    assert results["lat100"]["check"]["checked"] == 25 and not results["lat100"]["check"]["problems"]


def test_scoring_bench_check_refuses_wrong_answers():
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    try:
        import numpy as np
        import scoring_client
    finally:
        sys.path.pop(0)
    expected = [np.array([1.5]), np.array([2.0, 3.0])]
    good = scoring_client.check_predictions([b'{"predictions": [1.5]}', b'{"predictions": [2.0, 3.0]}'], [0, 1], expected)
    assert good["problems"] == [] and good["bitwise_equal"] == 2
    bad = scoring_client.check_predictions(
        [b'{"predictions": [1.6]}', b'{"predictions": [2.0]}', b'{"error_code": "BAD_REQUEST"}'], [0, 1, 0], expected)
    assert len(bad["problems"]) == 3
