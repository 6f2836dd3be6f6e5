"""Benchmark workloads, run inside a fresh child process.

Every workload takes the tracking library as a module object ``lib`` (``runyard`` or ``mlflow``) and
uses only the API the two share, so both libraries run exactly the same code. Setup data is built
before the timer starts; what the measured section wrote or read is verified afterwards, and a
wrong answer raises :class:`VerificationError` (the harness reports it as a failure, not a figure).

Child entry point (the harness calls this; you normally don't)::

    python bench/workloads.py --lib mlflow --workload log_metric --params '{"n": 2000}' --out result.json

The child is started in a fresh temporary working directory with the library's tracking URI in its
environment (``MLFLOW_TRACKING_URI`` / ``RUNYARD_TRACKING_URI``, a SQLite file in that directory).
"""

from __future__ import annotations

import argparse
import glob
import importlib
import json
import math
import os
import random
import shutil
import statistics
import sys
import time
import traceback
from contextlib import contextmanager
from typing import Any, Callable, Iterator

perf = time.perf_counter

TRACKING_URI_ENV = {"mlflow": "MLFLOW_TRACKING_URI", "runyard": "RUNYARD_TRACKING_URI"}
DB_FILE = {"mlflow": "mlflow.db", "runyard": "runyard.db"}

SEARCH_EXPERIMENT = "bench-search"
FILTER = "metrics.m1 > 0.5 and params.p1 = 'a'"
ORDER_BY = ["metrics.m2 DESC"]
BATCH_METRICS = 1000  # MLflow's log_batch limit on metrics per call


class VerificationError(AssertionError):
    """What a workload read back is not what was written."""


def check(cond: bool, message: str) -> None:
    if not cond:
        raise VerificationError(message)


@contextmanager
def verifying(**measured: Any) -> Iterator[None]:
    """Verification block: a failure carries the (unverified) measurement, for the JSON report only."""
    try:
        yield
    except VerificationError as e:
        e.measured = measured  # type: ignore[attr-defined]
        raise


# -- deterministic data ------------------------------------------------------------------------

def run_record(i: int) -> tuple[dict[str, str], dict[str, float], dict[str, str]]:
    """Params, metrics and tags of run number ``i`` of the search fixture (5 params, 5 metrics, 2 tags)."""
    r = random.Random(i * 7919 + 17)
    params = {
        "idx": str(i),
        "p1": "abc"[r.randrange(3)],
        "p2": str(r.randrange(10)),
        "p3": f"lr-{r.choice(['1e-3', '1e-4', '3e-4'])}",
        "p4": r.choice(["adam", "sgd", "rmsprop"]),
    }
    metrics = {f"m{k}": r.random() for k in range(1, 6)}
    tags = {"t1": f"team-{i % 7}", "t2": f"v{i % 5}"}
    return params, metrics, tags


def history_value(i: int) -> float:
    return 1.0 / (i + 1)


def step_values(i: int, keys: list[str]) -> dict[str, float]:
    return {k: i + j / 1000.0 for j, k in enumerate(keys)}


# -- helpers -----------------------------------------------------------------------------------

def client(lib: Any) -> Any:
    return lib.tracking.MlflowClient()


def median_timed(repeats: int, fn: Callable[[], Any], verify: Callable[[Any], None]) -> dict[str, Any]:
    """Call ``fn`` ``repeats`` times, timing each call alone, verifying each result after its timer."""
    times = []
    for _ in range(repeats):
        t0 = perf()
        result = fn()
        times.append(perf() - t0)
        with verifying(value=statistics.median(times), times=list(times)):
            verify(result)
        del result
    return {"value": statistics.median(times), "times": times}


def verify_history(points: list[Any], n: int, value_of: Callable[[int], float], key: str) -> None:
    check(len(points) == n, f"history of {key!r}: expected {n} points, got {len(points)}")
    pts = sorted(points, key=lambda m: (m.step, m.timestamp))
    check(all(p.key == key for p in pts), f"history of {key!r} holds points of another key")
    steps = [p.step for p in pts]
    check(steps == list(range(n)), f"history of {key!r}: steps are not 0..{n - 1}")
    bad = [p.step for p in pts if p.value != value_of(p.step)]
    check(not bad, f"history of {key!r}: {len(bad)} wrong values, first at step {bad[:1]}")


# -- workloads ---------------------------------------------------------------------------------

def w_log_metric(lib: Any, n: int) -> dict[str, Any]:
    """``n`` single ``log_metric(key, value, step=i)`` calls in one run (the timer covers the loop and end_run)."""
    run = lib.start_run()
    run_id = run.info.run_id
    t0 = perf()
    for i in range(n):
        lib.log_metric("loss", 1.0 / (i + 1), step=i)
    lib.end_run()
    elapsed = perf() - t0

    with verifying(value=n / elapsed, elapsed_s=elapsed, n=n):
        verify_history(client(lib).get_metric_history(run_id, "loss"), n, history_value, "loss")
        got = client(lib).get_run(run_id)
        check(got.info.status == "FINISHED", f"run status {got.info.status!r}, expected FINISHED")
        check(got.data.metrics.get("loss") == history_value(n - 1), "latest value of 'loss' is wrong")
    return {"value": n / elapsed, "elapsed_s": elapsed, "n": n}


def w_log_metrics(lib: Any, steps: int, keys: int = 100) -> dict[str, Any]:
    """``steps`` calls of ``log_metrics({keys metrics}, step=i)`` in one run; points/s."""
    names = [f"m{k:03d}" for k in range(keys)]
    payloads = [step_values(i, names) for i in range(steps)]  # built before the timer
    run = lib.start_run()
    run_id = run.info.run_id
    t0 = perf()
    for i, payload in enumerate(payloads):
        lib.log_metrics(payload, step=i)
    lib.end_run()
    elapsed = perf() - t0

    c = client(lib)
    with verifying(value=steps * keys / elapsed, elapsed_s=elapsed, n=steps * keys):
        got = c.get_run(run_id)
        check(len(got.data.metrics) == keys, f"run has {len(got.data.metrics)} metric keys, expected {keys}")
        check(got.data.metrics == payloads[-1], "latest metric values differ from the last step logged")
        for j in (0, keys // 2, keys - 1):
            key = names[j]
            verify_history(c.get_metric_history(run_id, key), steps, lambda s, j=j: s + j / 1000.0, key)
    return {"value": steps * keys / elapsed, "elapsed_s": elapsed, "n": steps * keys, "steps": steps}


def w_runs(lib: Any, n: int) -> dict[str, Any]:
    """``n`` runs, each ``with start_run(): log_params(5); log_metrics(5); set_tags(2)``; runs/s."""
    exp_id = lib.set_experiment("bench-runs").experiment_id
    records = [run_record(i) for i in range(n)]
    t0 = perf()
    for params, metrics, tags in records:
        with lib.start_run():
            lib.log_params(params)
            lib.log_metrics(metrics)
            lib.set_tags(tags)
    elapsed = perf() - t0

    with verifying(value=n / elapsed, elapsed_s=elapsed, n=n):
        df = lib.search_runs(experiment_ids=[exp_id])
        check(len(df) == n, f"search_runs found {len(df)} runs, expected {n}")
        check(set(df["status"]) == {"FINISHED"}, f"statuses {set(df['status'])}, expected only FINISHED")
        by_idx = {row["params.idx"]: row for _, row in df.iterrows()}
        check(set(by_idx) == {str(i) for i in range(n)}, "params.idx values differ from the runs created")
        for i in sorted({0, n // 3, n // 2, n - 1}):
            params, metrics, tags = records[i]
            row = by_idx[str(i)]
            for k, v in params.items():
                check(row[f"params.{k}"] == v, f"run {i}: params.{k} = {row[f'params.{k}']!r}, expected {v!r}")
            for k, v in metrics.items():
                check(row[f"metrics.{k}"] == v, f"run {i}: metrics.{k} = {row[f'metrics.{k}']!r}, expected {v!r}")
            for k, v in tags.items():
                check(row[f"tags.{k}"] == v, f"run {i}: tags.{k} = {row[f'tags.{k}']!r}, expected {v!r}")
    return {"value": n / elapsed, "elapsed_s": elapsed, "n": n}


def w_build_runs_fixture(lib: Any, n: int) -> dict[str, Any]:
    """Setup only (not a benchmark): ``n`` runs of :func:`run_record` data in experiment ``bench-search``,
    created with ``create_run`` + ``log_batch`` (each library's batch API)."""
    entities = lib.entities
    c = client(lib)
    exp_id = c.create_experiment(SEARCH_EXPERIMENT)
    ts = int(time.time() * 1000)
    t0 = perf()
    for i in range(n):
        params, metrics, tags = run_record(i)
        run = c.create_run(exp_id, tags=tags, start_time=ts + i)
        c.log_batch(
            run.info.run_id,
            metrics=[entities.Metric(k, v, ts + i, 0) for k, v in metrics.items()],
            params=[entities.Param(k, v) for k, v in params.items()],
        )
    elapsed = perf() - t0
    return {"value": elapsed, "elapsed_s": elapsed, "n": n, "runs_per_s": n / elapsed}


def _search_experiment(lib: Any) -> str:
    exp = lib.get_experiment_by_name(SEARCH_EXPERIMENT)
    check(exp is not None, f"fixture experiment {SEARCH_EXPERIMENT!r} is missing")
    return exp.experiment_id


def w_search_filtered(lib: Any, n: int, repeats: int = 3) -> dict[str, Any]:
    """``search_runs(filter, order_by)`` over the ``n``-run fixture into a DataFrame; seconds, median."""
    exp_id = _search_experiment(lib)
    expected = []
    for i in range(n):
        params, metrics, _ = run_record(i)
        if metrics["m1"] > 0.5 and params["p1"] == "a":
            expected.append((metrics["m2"], i))
    expected.sort(key=lambda t: -t[0])
    expected_idx = [str(i) for _, i in expected]

    def verify(df: Any) -> None:
        check(type(df).__name__ == "DataFrame", f"search_runs returned {type(df).__name__}, expected a DataFrame")
        check(len(df) == len(expected_idx), f"filtered search returned {len(df)} rows, expected {len(expected_idx)}")
        got_idx = list(df["params.idx"])
        check(set(got_idx) == set(expected_idx), "filtered search returned the wrong runs")
        check(got_idx == expected_idx, "filtered search rows are not ordered by metrics.m2 DESC")
        check(list(df["metrics.m2"]) == [m2 for m2, _ in expected], "metrics.m2 values differ")
        check(all(df["metrics.m1"] > 0.5) and set(df["params.p1"]) <= {"a"}, "rows violate the filter")

    def go() -> Any:
        return lib.search_runs(experiment_ids=[exp_id], filter_string=FILTER, order_by=ORDER_BY)

    out = median_timed(repeats, go, verify)
    out.update(n=n, rows=len(expected_idx))
    return out


def w_search_all_df(lib: Any, n: int, repeats: int = 3) -> dict[str, Any]:
    """All ``n`` runs of the fixture into a DataFrame with ``search_runs``; seconds, median."""
    exp_id = _search_experiment(lib)
    sample = sorted({0, 1, n // 7, n // 3, n // 2, n - 2, n - 1} | set(random.Random(5).sample(range(n), 20)))

    def verify(df: Any) -> None:
        check(type(df).__name__ == "DataFrame", f"search_runs returned {type(df).__name__}, expected a DataFrame")
        check(len(df) == n, f"DataFrame has {len(df)} rows, expected {n}")
        for col in ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time",
                    "metrics.m1", "metrics.m5", "params.idx", "params.p4", "tags.t1", "tags.t2"):
            check(col in df.columns, f"DataFrame lacks column {col!r}")
        check(df["run_id"].nunique() == n, "run_id values are not unique")
        idx = df["params.idx"]
        check(set(idx) == {str(i) for i in range(n)}, "params.idx values differ from the fixture's runs")
        pos = {v: p for p, v in enumerate(idx)}
        for i in sample:
            params, metrics, tags = run_record(i)
            p = pos[str(i)]
            for k, v in metrics.items():
                got = df[f"metrics.{k}"].iat[p]
                check(got == v, f"run {i}: metrics.{k} = {got!r}, expected {v!r}")
            for k, v in params.items():
                got = df[f"params.{k}"].iat[p]
                check(got == v, f"run {i}: params.{k} = {got!r}, expected {v!r}")
            for k, v in tags.items():
                got = df[f"tags.{k}"].iat[p]
                check(got == v, f"run {i}: tags.{k} = {got!r}, expected {v!r}")

    def go() -> Any:
        return lib.search_runs(experiment_ids=[exp_id])

    out = median_timed(repeats, go, verify)
    out.update(n=n)
    return out


def w_metric_history(lib: Any, n: int, repeats: int = 3) -> dict[str, Any]:
    """``MlflowClient().get_metric_history`` of an ``n``-point metric (logged in setup with ``log_batch``
    in chunks of 1000); seconds, median."""
    entities = lib.entities
    c = client(lib)
    exp_id = c.create_experiment("bench-history")
    run_id = c.create_run(exp_id).info.run_id
    ts = int(time.time() * 1000)
    t0 = perf()
    for start in range(0, n, BATCH_METRICS):
        c.log_batch(run_id, metrics=[entities.Metric("loss", history_value(i), ts + i, i)
                                     for i in range(start, min(n, start + BATCH_METRICS))])
    setup_s = perf() - t0

    def verify(points: list[Any]) -> None:
        check(len(points) == n, f"history has {len(points)} points, expected {n}")
        first = min(points, key=lambda m: m.step)
        last = max(points, key=lambda m: m.step)
        check((first.step, first.value) == (0, history_value(0)), f"first point is {first!r}")
        check((last.step, last.value) == (n - 1, history_value(n - 1)), f"last point is {last!r}")
        verify_history(points, n, history_value, "loss")

    out = median_timed(repeats, lambda: client(lib).get_metric_history(run_id, "loss"), verify)
    out.update(n=n, setup_s=setup_s)
    return out


WORKLOADS: dict[str, Callable[..., dict[str, Any]]] = {
    "log_metric": w_log_metric,
    "log_metrics": w_log_metrics,
    "runs": w_runs,
    "build_runs_fixture": w_build_runs_fixture,
    "search_filtered": w_search_filtered,
    "search_all_df": w_search_all_df,
    "metric_history": w_metric_history,
}


# -- child entry point -------------------------------------------------------------------------

def _copy_fixture(fixture: str, lib_name: str) -> None:
    """Copy a fixture database (with any WAL/SHM files beside it) into the working directory."""
    files = glob.glob(os.path.join(fixture, DB_FILE[lib_name] + "*"))
    if not files:
        raise FileNotFoundError(f"no {DB_FILE[lib_name]} in fixture {fixture}")
    for f in files:
        shutil.copy2(f, os.getcwd())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", required=True, choices=sorted(TRACKING_URI_ENV))
    ap.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    ap.add_argument("--params", default="{}", help="JSON keyword arguments of the workload")
    ap.add_argument("--fixture", help="directory holding a prebuilt database to copy in first")
    ap.add_argument("--out", required=True, help="where to write the JSON result")
    args = ap.parse_args(argv)
    result: dict[str, Any]
    try:
        if args.fixture:
            _copy_fixture(args.fixture, args.lib)
        lib = importlib.import_module(args.lib)
        lib.set_tracking_uri(os.environ[TRACKING_URI_ENV[args.lib]])
        result = WORKLOADS[args.workload](lib, **json.loads(args.params))
        result["ok"] = True
        result["version"] = getattr(lib, "__version__", "?")
    except VerificationError as e:
        result = {"ok": False, "kind": "verification", "error": str(e), "traceback": traceback.format_exc(),
                  "unverified": getattr(e, "measured", None)}
    except BaseException as e:  # noqa: BLE001 - report every failure to the harness
        result = {"ok": False, "kind": "error", "error": f"{type(e).__name__}: {e}",
                  "traceback": traceback.format_exc()}
    for k, v in list(result.items()):
        if isinstance(v, float) and not math.isfinite(v):
            result[k] = None
    with open(args.out, "w") as f:
        json.dump(result, f)
    if not result["ok"]:
        print(result["traceback"], file=sys.stderr)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
