"""The README's first command: `runyard server` on the embedded default store, and the quickstart
logging to it through the URI the README gives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from runyard.stores.rest.tracking_store import RestTrackingStore
from tests.server_process import ServerProcess

QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart.py"


def test_server_on_the_default_store_serves_the_quickstart(tmp_path):
    # Started the README's way: no options, in a working directory (here: tmp_path).
    server = ServerProcess(f"sqlite:///{tmp_path}/runyard.db", str(tmp_path / "runyard-artifacts"))
    server.start()
    try:
        env = {**os.environ, "MLFLOW_TRACKING_URI": server.url}
        env.pop("RUNYARD_TRACKING_URI", None)
        result = subprocess.run([sys.executable, str(QUICKSTART)], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        store = RestTrackingStore(server.url)
        runs = [r for e in store.search_experiments() for r in store.search_runs([e.experiment_id])]
        assert runs and all(r.info.artifact_uri.startswith("mlflow-artifacts:/") for r in runs)
        assert not (tmp_path / "mlruns").exists()
        # The proxy wrote the artifacts below the server's destination, nowhere else.
        assert any((tmp_path / "runyard-artifacts").rglob("predictions.csv"))
    finally:
        server.stop()
