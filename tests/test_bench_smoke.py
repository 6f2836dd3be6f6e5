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
