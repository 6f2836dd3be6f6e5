"""Smoke test of ``bench/seed_ui_data.py`` and ``bench/time_ui_queries.py`` at a tiny size: the seeded
store holds what the seeder says, and the timing script runs through it. No timing is looked at."""

from __future__ import annotations

import os
import subprocess
import sys

from runyard.stores.sql.tracking_store import SqlTrackingStore

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "RUNYARD_"))}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_seeded_store_holds_the_workload(tmp_path):
    uri = f"sqlite:///{tmp_path}/ui.db"
    seeded = _run(os.path.join(ROOT, "bench", "seed_ui_data.py"), "--store-uri", uri, "--runs", "1200",
                  "--params", "4", "--metrics", "5", "--long-series", "3000", cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    lines = dict(line.split("=", 1) for line in seeded.stdout.split())
    experiment_id, long_run = lines["experiment_id"], lines["long_series_run_id"]
    store = SqlTrackingStore(uri)
    try:
        assert store.count_runs([experiment_id]) == 1201
        assert store.search_run_keys([experiment_id], "params").keys == ("p0", "p1", "p2", "p3")
        assert store.search_run_keys([experiment_id], "metrics").keys == ("loss", "m0", "m1", "m2", "m3", "m4")
        assert store.count_runs([experiment_id], "tags.mlflow.parentRunId != ''") >= 1
        run = store.search_runs([experiment_id], "params.p2 = 'x'", max_results=1)[0]
        assert set(run.data.metrics) == {f"m{i}" for i in range(5)} and run.data.params["p2"] == "x"
        series = store.get_metric_downsampled(long_run, "loss", buckets=100)
        assert series.total_points == 3000 and series.downsampled
        assert max(p.value for p in series.points) == 50.0  # the spike
    finally:
        store.close()
    timed = _run(os.path.join(ROOT, "bench", "time_ui_queries.py"), "--store-uri", uri, "--experiment-id",
                 experiment_id, "--long-run-id", long_run, "--repeat", "1", cwd=tmp_path)
    assert timed.returncode == 0, timed.stderr
    assert "metrics/downsampled" in timed.stdout and "runs/group" in timed.stdout
