"""Many processes logging into one embedded SQLite store at once lose nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from runyard.stores.sql.tracking_store import SqlTrackingStore

WORKER = textwrap.dedent(
    """
    import sys
    import runyard as mlflow

    worker = int(sys.argv[1])
    mlflow.set_experiment("concurrency")
    with mlflow.start_run(run_name=f"worker-{worker}"):
        mlflow.log_params({"worker": worker, "kind": "stress"})
        for step in range(5000):  # 5,000 single points, one transaction each
            mlflow.log_metric("single", step * 0.5, step=step)
        for step in range(50):  # 5,000 more points, 100 keys per call
            mlflow.log_metrics({f"k{k}": worker + step + k for k in range(100)}, step=step)
        mlflow.set_tag("done", "yes")
    """
)

WORKERS = 8


def test_eight_processes_log_ten_thousand_points_each(tmp_path):
    uri = f"sqlite:///{tmp_path}/runyard.db"
    env = {**os.environ, "RUNYARD_TRACKING_URI": uri}
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    processes = [
        subprocess.Popen([sys.executable, str(script), str(i)], cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(WORKERS)
    ]
    failures = []
    for process in processes:
        out, err = process.communicate(timeout=600)
        if process.returncode != 0:
            failures.append(err[-2000:])
    assert not failures, failures
    assert not any("locked" in f for f in failures)

    store = SqlTrackingStore(uri)
    try:
        experiment = store.get_experiment_by_name("concurrency")
        runs = store.search_runs([experiment.experiment_id], max_results=100)
        assert len(runs) == WORKERS
        for run in runs:
            worker = int(run.info.run_name.split("-")[1])
            assert run.info.status == "FINISHED"
            assert run.data.tags["done"] == "yes"
            assert run.data.params == {"worker": str(worker), "kind": "stress"}
            single = store.get_metric_history(run.info.run_id, "single")
            assert [m.step for m in single] == list(range(5000))
            assert single[4321].value == 4321 * 0.5
            for key in ("k0", "k57", "k99"):
                history = store.get_metric_history(run.info.run_id, key)
                offset = int(key[1:])
                assert [m.value for m in history] == [float(worker + step + offset) for step in range(50)]
            assert run.data.metrics["k99"] == worker + 49 + 99
            assert len(run.data.metrics) == 101
    finally:
        store.close()
