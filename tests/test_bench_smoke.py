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
