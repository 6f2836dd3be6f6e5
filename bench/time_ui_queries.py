"""Time what the web UI asks of a store seeded by ``bench/seed_ui_data.py``, through the store and
through HTTP on a ``runyard server`` started on that store.

    python bench/time_ui_queries.py --store-uri sqlite:///ui.db --experiment-id 1 --long-run-id <id>

Each query runs once cold (the first call, which also compiles statements) and then --repeat times;
the table shows the cold time and the median of the repeats, in milliseconds, and for the store the
median CPU time of this process (on a busy machine, closer to what the query costs than the wall
clock). Not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.server_procs import free_port, server_env  # noqa: E402
from runyard.stores.sql.tracking_store import SqlTrackingStore  # noqa: E402

FILTER = "metrics.m3 > 0.5 and params.p2 = 'x'"
GROUP_METRICS = ["m0", "m1", "m2"]
UI_ORDER = ["metrics.m1 DESC", "attributes.run_id ASC"]  # the runs table's order after a click on m1


def store_queries(store: SqlTrackingStore, exp: str, long_run: str) -> dict[str, Callable[[], Any]]:
    return {
        "search_runs first page (default order)": lambda: store.search_runs([exp], max_results=100),
        "search_runs ordered by metrics.m1": lambda: store.search_runs([exp], max_results=100,
                                                                        order_by=["metrics.m1 DESC"]),
        "search_runs ordered by metrics.m1 ASC": lambda: store.search_runs([exp], max_results=100,
                                                                            order_by=["metrics.m1 ASC"]),
        "search_runs ordered by params.p1": lambda: store.search_runs([exp], max_results=100,
                                                                       order_by=["params.p1 ASC"]),
        "search_runs ordered by params.p1 DESC": lambda: store.search_runs([exp], max_results=100,
                                                                            order_by=["params.p1 DESC"]),
        "search_runs 200 as the UI sorts (m1 DESC, run_id)": lambda: store.search_runs(
            [exp], max_results=200, order_by=UI_ORDER),
        f"search_runs filtered ({FILTER})": lambda: store.search_runs([exp], FILTER, max_results=100),
        "runs/count (no filter)": lambda: store.count_runs([exp]),
        "runs/count (filtered)": lambda: store.count_runs([exp], FILTER),
        "runs/keys metrics": lambda: store.search_run_keys([exp], "metrics"),
        "runs/keys params prefix 'P1'": lambda: store.search_run_keys([exp], "params", prefix="P1"),
        "runs/keys tags": lambda: store.search_run_keys([exp], "tags"),
        "runs/group params.p1 x 3 metrics": lambda: store.group_runs([exp], "params.p1", GROUP_METRICS),
        "runs/group tags.team, filtered": lambda: store.group_runs([exp], "tags.team", GROUP_METRICS, FILTER),
        "metrics/downsampled 1M points, 1000 buckets": lambda: store.get_metric_downsampled(long_run, "loss"),
        "metrics/downsampled 1M, timestamp axis": lambda: store.get_metric_downsampled(long_run, "loss",
                                                                                        x_axis="timestamp"),
        "metrics/downsampled zoom [100000, 200000]": lambda: store.get_metric_downsampled(
            long_run, "loss", min_x=100_000, max_x=200_000),
    }


def _http(base: str, method: str, path: str, query: list[tuple[str, Any]] | None = None,
          body: dict | None = None) -> Any:
    url = base + path + ("?" + urllib.parse.urlencode(query) if query else "")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def http_queries(base: str, exp: str, long_run: str) -> dict[str, Callable[[], Any]]:
    ui = "/ajax-api/2.0/runyard"
    search = "/ajax-api/2.0/mlflow/runs/search"

    def runs(**extra: Any) -> Callable[[], Any]:
        return lambda: _http(base, "POST", search, body={"experiment_ids": [exp], "max_results": 100, **extra})

    return {
        "search_runs first page (default order)": runs(),
        "search_runs ordered by metrics.m1": runs(order_by=["metrics.m1 DESC"]),
        "search_runs ordered by metrics.m1 ASC": runs(order_by=["metrics.m1 ASC"]),
        "search_runs ordered by params.p1": runs(order_by=["params.p1 ASC"]),
        "search_runs ordered by params.p1 DESC": runs(order_by=["params.p1 DESC"]),
        "search_runs 200 as the UI sorts (m1 DESC, run_id)": runs(max_results=200, order_by=UI_ORDER),
        f"search_runs filtered ({FILTER})": runs(filter=FILTER),
        "runs/count (no filter)": lambda: _http(base, "GET", f"{ui}/runs/count", [("experiment_ids", exp)]),
        "runs/count (filtered)": lambda: _http(base, "GET", f"{ui}/runs/count",
                                               [("experiment_ids", exp), ("filter", FILTER)]),
        "runs/keys metrics": lambda: _http(base, "GET", f"{ui}/runs/keys", [("experiment_ids", exp),
                                                                            ("kind", "metrics")]),
        "runs/keys params prefix 'P1'": lambda: _http(base, "GET", f"{ui}/runs/keys", [
            ("experiment_ids", exp), ("kind", "params"), ("prefix", "P1")]),
        "runs/keys tags": lambda: _http(base, "GET", f"{ui}/runs/keys", [("experiment_ids", exp), ("kind", "tags")]),
        "runs/group params.p1 x 3 metrics": lambda: _http(base, "POST", f"{ui}/runs/group", body={
            "experiment_ids": [exp], "group_by": "params.p1", "metrics": GROUP_METRICS}),
        "runs/group tags.team, filtered": lambda: _http(base, "POST", f"{ui}/runs/group", body={
            "experiment_ids": [exp], "group_by": "tags.team", "metrics": GROUP_METRICS, "filter": FILTER}),
        "metrics/downsampled 1M points, 1000 buckets": lambda: _http(base, "GET", f"{ui}/metrics/downsampled", [
            ("run_id", long_run), ("metric_key", "loss")]),
        "metrics/downsampled 1M, timestamp axis": lambda: _http(base, "GET", f"{ui}/metrics/downsampled", [
            ("run_id", long_run), ("metric_key", "loss"), ("x_axis", "timestamp")]),
        "metrics/downsampled zoom [100000, 200000]": lambda: _http(base, "GET", f"{ui}/metrics/downsampled", [
            ("run_id", long_run), ("metric_key", "loss"), ("min_x", 100_000), ("max_x", 200_000)]),
    }


def measure(queries: dict[str, Callable[[], Any]], repeat: int) -> dict[str, tuple[float, float, float]]:
    """name -> (cold wall ms, median wall ms, median CPU ms of this process)."""
    out = {}
    for name, call in queries.items():
        began = time.perf_counter()
        call()
        cold = time.perf_counter() - began
        walls, cpus = [], []
        for _ in range(repeat):
            began, cpu = time.perf_counter(), time.process_time()
            call()
            walls.append(time.perf_counter() - began)
            cpus.append(time.process_time() - cpu)
        out[name] = (cold * 1000, statistics.median(walls) * 1000, statistics.median(cpus) * 1000)
    return out


def start_server(store_uri: str) -> tuple[Any, str]:
    import subprocess

    port = free_port()
    artifacts = tempfile.mkdtemp(prefix="runyard-ui-bench-")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "runyard"), "server", "--backend-store-uri", store_uri,
                             "--artifacts-destination", artifacts, "--port", str(port), "--workers", "1"],
                            env=server_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(base + "/health", timeout=2).read()
            return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the runyard server did not start within 60 s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store-uri", required=True)
    parser.add_argument("--experiment-id", required=True)
    parser.add_argument("--long-run-id", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-http", action="store_true", help="time through the store only")
    args = parser.parse_args(argv)
    store = SqlTrackingStore(args.store_uri)
    try:
        by_store = measure(store_queries(store, args.experiment_id, args.long_run_id), args.repeat)
    finally:
        store.close()
    by_http: dict[str, tuple[float, float, float]] = {}
    if not args.no_http:
        proc, base = start_server(args.store_uri)
        try:
            by_http = measure(http_queries(base, args.experiment_id, args.long_run_id), args.repeat)
        finally:
            proc.terminate()
            proc.wait(30)
    nan = float("nan")
    print(f"{'query':<52} {'store cold':>10} {'store med':>10} {'store cpu':>10} {'http cold':>10} "
          f"{'http med':>10}  (ms)")
    for name, (cold, median, cpu) in by_store.items():
        http_cold, http_median, _ = by_http.get(name, (nan, nan, nan))
        print(f"{name:<52} {cold:>10.1f} {median:>10.1f} {cpu:>10.1f} {http_cold:>10.1f} {http_median:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
