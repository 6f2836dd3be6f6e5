"""Fill a runyard store with the web UI's target workload, fast.

    python bench/seed_ui_data.py --store-uri sqlite:///ui.db --runs 100000 --params 20 --metrics 20 \
        --long-series 1000000

One experiment of RUNS finished runs, each with PARAMS params (p0..), METRICS metrics (m0.., one
history point each plus its latest value) and the tags mlflow.runName, mlflow.user and team; a few
runs are nested under others (mlflow.parentRunId); one more run holds a LONG_SERIES-point metric
``loss`` (a noisy curve with one spike, at step LONG_SERIES // 3). Prints the experiment id and the
long-series run id (``experiment_id=<id>`` and ``long_series_run_id=<id>`` lines).

The schema comes from runyard's SQL store (so the database is a normal runyard store at the newest
revision); rows go in through multi-row executemany inserts on its tables, bypassing per-run API
calls. Data is deterministic for a given --seed. Values (so that filters and groups have something
to find): p<i> is one of ``v0``..``v<i+1>`` except p2, one of ``x``, ``y``, ``z``; m<i> is uniform in [0, 1).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Iterator, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from runyard.stores.sql import schema  # noqa: E402
from runyard.stores.sql.tracking_store import SqlTrackingStore  # noqa: E402

CHUNK_RUNS = 2000
CHUNK_POINTS = 50_000
TEAMS = ("vision", "speech", "nlp", "ranking")
LONG_KEY = "loss"


def _insert_sql(store: SqlTrackingStore, table: sa.Table, columns: Sequence[str]) -> str:
    compiled = store.db.cached(f"seed:{table.name}",
                               lambda: table.insert().values({c: sa.bindparam(c) for c in columns}))
    if compiled.names != tuple(columns):
        raise RuntimeError(f"unexpected parameter order {compiled.names}")
    return compiled.sql


def _write(store: SqlTrackingStore, table: sa.Table, columns: Sequence[str], rows: list[tuple]) -> None:
    if not rows:
        return
    sql = _insert_sql(store, table, columns)
    with store.db.transaction(write=True) as tx:
        tx.cursor.executemany(sql, rows)


def _param_value(rng: random.Random, i: int) -> str:
    return rng.choice("xyz") if i == 2 else f"v{rng.randrange(i + 2)}"


def _run_rows(rng: random.Random, experiment_id: int, location: str, first: int, count: int, n_params: int,
              n_metrics: int, parents: list[str], t0: int) -> dict[str, list[tuple]]:
    """The rows of runs ``first``..``first + count - 1``, table by table."""
    rows: dict[str, list[tuple]] = {"runs": [], "params": [], "tags": [], "metrics": [], "latest_metrics": []}
    for n in range(first, first + count):
        run_id = uuid.UUID(int=rng.getrandbits(128), version=4).hex
        start = t0 + n * 1000
        name = f"run-{n}"
        rows["runs"].append((run_id, name, experiment_id, "bench", "FINISHED", start, start + 500, None, "active",
                             f"{location}/{run_id}/artifacts"))
        rows["params"] += [(run_id, f"p{i}", _param_value(rng, i)) for i in range(n_params)]
        tags = [(run_id, "mlflow.runName", name), (run_id, "mlflow.user", "bench"),
                (run_id, "team", TEAMS[n % len(TEAMS)])]
        if parents and n % 997 == 1:
            tags.append((run_id, "mlflow.parentRunId", parents[n % len(parents)]))
        elif len(parents) < 10:
            parents.append(run_id)
        rows["tags"] += tags
        for i in range(n_metrics):
            value = rng.random()
            rows["metrics"].append((run_id, f"m{i}", value, 0, start + 100, 0))
            rows["latest_metrics"].append((run_id, f"m{i}", value, start + 100, 0))
    return rows


_COLUMNS = {
    "runs": ("run_uuid", "name", "experiment_id", "user_id", "status", "start_time", "end_time", "deleted_time",
             "lifecycle_stage", "artifact_uri"),
    "params": ("run_uuid", "key", "value"),
    "tags": ("run_uuid", "key", "value"),
    "metrics": ("run_uuid", "key", "value", "is_nan", "timestamp", "step"),
    "latest_metrics": ("run_uuid", "key", "value", "timestamp", "step"),
}


def seed_runs(store: SqlTrackingStore, experiment_id: str, runs: int, n_params: int, n_metrics: int,
              rng: random.Random) -> None:
    location = store.get_experiment(experiment_id).artifact_location.rstrip("/")
    tables = {name: getattr(schema, name) for name in _COLUMNS}
    parents: list[str] = []
    t0 = int(time.time() * 1000) - runs * 1000
    for first in range(0, runs, CHUNK_RUNS):
        rows = _run_rows(rng, int(experiment_id), location, first, min(CHUNK_RUNS, runs - first), n_params,
                         n_metrics, parents, t0)
        for name, table_rows in rows.items():
            _write(store, tables[name], _COLUMNS[name], table_rows)


def _series(rng: random.Random, points: int, t0: int) -> Iterator[list[tuple]]:
    spike = points // 3
    chunk: list[tuple] = []
    for step in range(points):
        value = 1.0 / (1.0 + step / 1000.0) + 0.05 * math.sin(step / 50.0) + 0.01 * rng.random()
        chunk.append((step, t0 + step, 50.0 if step == spike else value))
        if len(chunk) == CHUNK_POINTS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def seed_long_series(store: SqlTrackingStore, experiment_id: str, points: int, rng: random.Random) -> str:
    run_id = store.create_run(experiment_id, "bench", int(time.time() * 1000), [], "long-series").info.run_id
    last: tuple = ()
    for chunk in _series(rng, points, int(time.time() * 1000)):
        _write(store, schema.metrics, _COLUMNS["metrics"], [(run_id, LONG_KEY, v, 0, t, s) for s, t, v in chunk])
        last = chunk[-1]
    if last:
        step, timestamp, value = last
        _write(store, schema.latest_metrics, _COLUMNS["latest_metrics"], [(run_id, LONG_KEY, value, timestamp, step)])
    store.update_run_info(run_id, "FINISHED", int(time.time() * 1000), None)
    return run_id


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store-uri", required=True, help="runyard store URI, e.g. sqlite:///ui.db")
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--params", type=int, default=20)
    parser.add_argument("--metrics", type=int, default=20)
    parser.add_argument("--long-series", type=int, default=1_000_000, help="points of the long metric (0: none)")
    parser.add_argument("--experiment-name", default=None, help="default: ui-bench-<timestamp>")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    began = time.perf_counter()
    store = SqlTrackingStore(args.store_uri)
    if store.db.kind == "sqlite":
        # Random run ids land all over the b-trees: keep them in memory while seeding (this
        # connection only; the database file is unchanged).
        with store.db.transaction() as tx:
            tx.cursor.execute("PRAGMA cache_size = -1048576")
    try:
        name = args.experiment_name or f"ui-bench-{int(time.time())}"
        experiment_id = store.create_experiment(name)
        seed_runs(store, experiment_id, args.runs, args.params, args.metrics, rng)
        long_run = seed_long_series(store, experiment_id, args.long_series, rng) if args.long_series > 0 else ""
    finally:
        store.close()
    print(f"experiment_id={experiment_id}")
    print(f"long_series_run_id={long_run}")
    print(f"seeded {args.runs} runs x {args.params} params x {args.metrics} metrics and a "
          f"{args.long_series}-point series in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
