"""Nothing acknowledged is lost: many clients through one server, two servers over one
PostgreSQL database, and a server restarted under a logging client."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from runyard.stores.rest.tracking_store import RestTrackingStore
from tests.server_process import ServerProcess, server_process
from tests.store_contract.backends import postgres_uri

POINTS_SINGLE = 200
BATCHES = 20
BATCH_SIZE = 50

# One client process: single log_metric calls, then log_batch calls, all to its own run.
CLIENT = textwrap.dedent("""
    import sys, time
    import runyard
    from runyard.entities import Metric
    url, run_id, single, batches, size = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
    client = runyard.MlflowClient(url)
    for i in range(single):
        client.log_metric(run_id, "single", float(i), step=i)
    now = int(time.time() * 1000)
    for b in range(batches):
        client.log_batch(run_id, metrics=[Metric(f"k{j % 5}", float(j), now, b * size + j) for j in range(size)])
""")


def _clients(urls: list[str], run_ids: list[str]) -> None:
    env = {**os.environ, "RUNYARD_HTTP_REQUEST_BACKOFF_FACTOR": "0.05"}
    procs = [
        subprocess.Popen([sys.executable, "-c", CLIENT, urls[i % len(urls)], run_id, str(POINTS_SINGLE),
                          str(BATCHES), str(BATCH_SIZE)], env=env, stderr=subprocess.PIPE)
        for i, run_id in enumerate(run_ids)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode()[-2000:]


def _assert_all_stored(store: RestTrackingStore, run_ids: list[str]) -> None:
    for run_id in run_ids:
        assert len(store.get_metric_history(run_id, "single")) == POINTS_SINGLE
        batched = sum(len(store.get_metric_history(run_id, f"k{k}")) for k in range(5))
        assert batched == BATCHES * BATCH_SIZE


def test_eight_clients_through_one_server(tmp_path):
    with server_process(f"sqlite:///{tmp_path}/r.db", str(tmp_path / "a"), workers=2) as server:
        store = RestTrackingStore(server.url)
        experiment_id = store.create_experiment("reliability")
        run_ids = [store.create_run(experiment_id, "u", None, [], f"c{i}").info.run_id for i in range(8)]
        _clients([server.url], run_ids)
        _assert_all_stored(store, run_ids)


def test_two_servers_over_one_postgresql_database(tmp_path):
    with postgres_uri() as uri:
        with server_process(uri, str(tmp_path / "a")) as first, server_process(uri, str(tmp_path / "a")) as second:
            store = RestTrackingStore(first.url)
            experiment_id = store.create_experiment("two-servers")
            run_ids = [store.create_run(experiment_id, "u", None, [], f"c{i}").info.run_id for i in range(8)]
            _clients([first.url, second.url], run_ids)
            _assert_all_stored(RestTrackingStore(second.url), run_ids)


RESTART_CLIENT = textwrap.dedent("""
    import sys, time
    import runyard
    url, run_id, total, ack_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    client = runyard.MlflowClient(url)
    with open(ack_path, "w") as acks:
        for i in range(total):
            client.log_metric(run_id, "m", float(i), step=i)
            client.set_tag(run_id, "last", str(i))
            acks.write(f"{i}\\n")
            acks.flush()
            time.sleep(0.004)
""")


def test_client_carries_on_across_a_server_restart(tmp_path):
    backend, destination = f"sqlite:///{tmp_path}/r.db", str(tmp_path / "a")
    server = ServerProcess(backend, destination).start()
    try:
        store = RestTrackingStore(server.url)
        run_id = store.create_run(store.create_experiment("restart"), "u", None, [], "r").info.run_id
        acks = tmp_path / "acks.txt"
        env = {**os.environ, "RUNYARD_HTTP_REQUEST_BACKOFF_FACTOR": "0.1", "RUNYARD_HTTP_REQUEST_MAX_RETRIES": "10"}
        client = subprocess.Popen([sys.executable, "-c", RESTART_CLIENT, server.url, run_id, "600", str(acks)],
                                  env=env, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while (not acks.exists() or len(acks.read_text().split()) < 100) and time.monotonic() < deadline:
            time.sleep(0.02)
        server.stop()
        acknowledged_before = len(acks.read_text().split())
        time.sleep(0.5)
        server = ServerProcess(backend, destination, port=server.port).start()
        _, err = client.communicate(timeout=120)
        assert client.returncode == 0, err.decode()[-2000:]
        acknowledged = [int(line) for line in acks.read_text().split()]
        assert acknowledged == list(range(600)) and acknowledged_before < 600
        steps = sorted(m.step for m in RestTrackingStore(server.url).get_metric_history(run_id, "m"))
        assert steps == list(range(600))
        assert RestTrackingStore(server.url).get_run(run_id).data.tags["last"] == "599"
    finally:
        server.stop()


if not hasattr(os, "killpg"):  # pragma: no cover - POSIX only
    pytestmark = pytest.mark.skip("needs POSIX process groups")
