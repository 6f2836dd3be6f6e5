"""Copy a runyard SQLite store (made by ``bench/seed_ui_data.py``) into a fresh MLflow SQLite store.

    python bench/seed_mlflow_ui_data.py --from sqlite:///runyard-ui.db --store-uri sqlite:///mlflow-ui.db

The UI benchmark shows the *same* data in both UIs: same run ids, names, params, metric values and
histories. Logging 100,000 runs through MLflow's API would take hours, so this creates MLflow's schema
the way ``mlflow server`` does (its own ``SqlAlchemyStore`` on an empty file, every migration applied)
and then fills MLflow's tables (experiments, experiment_tags, runs, params, tags, metrics,
latest_metrics) straight from the runyard file with ``INSERT ... SELECT`` over an attached database.
Row counts are compared table by table afterwards.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import time

# target table -> (MLflow columns, SELECT over the runyard store attached as ``src``)
_COPIES: dict[str, tuple[str, str]] = {
    "experiments": (
        "experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time, workspace",
        "SELECT experiment_id, name, 'mlflow-artifacts:/' || experiment_id, lifecycle_stage, creation_time, "
        "last_update_time, 'default' FROM src.experiments WHERE experiment_id != 0",
    ),
    "experiment_tags": ("key, value, experiment_id",
                        "SELECT key, value, experiment_id FROM src.experiment_tags WHERE experiment_id != 0"),
    "runs": (
        "run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, "
        "source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time",
        "SELECT run_uuid, name, 'LOCAL', '', '', user_id, status, start_time, end_time, '', lifecycle_stage, "
        "'mlflow-artifacts:/' || experiment_id || '/' || run_uuid || '/artifacts', experiment_id, deleted_time "
        "FROM src.runs",
    ),
    "params": ("key, value, run_uuid", "SELECT key, value, run_uuid FROM src.params"),
    "tags": ("key, value, run_uuid", "SELECT key, value, run_uuid FROM src.tags"),
    "metrics": ("key, value, timestamp, run_uuid, step, is_nan",
                "SELECT key, value, timestamp, run_uuid, step, is_nan FROM src.metrics"),
    "latest_metrics": (
        "key, value, timestamp, step, is_nan, run_uuid",
        "SELECT key, COALESCE(value, 0.0), timestamp, step, CASE WHEN value IS NULL THEN 1 ELSE 0 END, run_uuid "
        "FROM src.latest_metrics",
    ),
}
_COUNT_SOURCE = {"experiments": "SELECT count(*) FROM src.experiments WHERE experiment_id != 0",
                 "experiment_tags": "SELECT count(*) FROM src.experiment_tags WHERE experiment_id != 0"}


def sqlite_path(uri: str) -> str:
    if not uri.startswith("sqlite:///"):
        raise SystemExit(f"not a sqlite:/// URI: {uri}")
    return uri[len("sqlite:///"):] if uri.startswith("sqlite:////") else os.path.abspath(uri[len("sqlite:///"):])


def create_mlflow_schema(path: str, artifact_root: str) -> None:
    """MLflow's own store creates and migrates the schema, exactly as ``mlflow server`` would."""
    code = ("import sys; from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore; "
            "SqlAlchemyStore('sqlite:///' + sys.argv[1], sys.argv[2])")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "RUNYARD_"))}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    subprocess.run([sys.executable, "-c", code, path, artifact_root], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def copy_store(source: str, target: str) -> dict[str, int]:
    """Fill MLflow's tables at ``target`` from the runyard store at ``source``; rows per table."""
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")
        conn.execute("ATTACH DATABASE ? AS src", (source,))
        counts = {}
        conn.execute("BEGIN")
        for table, (columns, select) in _COPIES.items():
            conn.execute(f"INSERT INTO main.{table} ({columns}) {select}")
            counts[table] = conn.execute(f"SELECT count(*) FROM main.{table}").fetchone()[0]
            expected = conn.execute(_COUNT_SOURCE.get(table, f"SELECT count(*) FROM src.{table}")).fetchone()[0]
            if table == "experiments":
                expected += 1  # MLflow's own Default experiment (id 0) stays as MLflow created it
            if counts[table] != expected:
                raise SystemExit(f"{table}: copied {counts[table]} rows, the runyard store has {expected}")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE src")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", required=True, help="the runyard store: sqlite:///path.db")
    parser.add_argument("--store-uri", required=True, help="the MLflow store to create: sqlite:///path.db")
    parser.add_argument("--artifact-root", default=None, help="MLflow's default artifact root (unused by the UI)")
    args = parser.parse_args(argv)
    source, target = sqlite_path(args.source), sqlite_path(args.store_uri)
    if not os.path.isfile(source):
        raise SystemExit(f"no runyard store at {source}")
    if os.path.exists(target):
        raise SystemExit(f"{target} exists; the MLflow store is created fresh")
    start = time.perf_counter()
    create_mlflow_schema(target, args.artifact_root or os.path.join(os.path.dirname(target), "mlartifacts"))
    schema_s = time.perf_counter() - start
    counts = copy_store(source, target)
    total = time.perf_counter() - start
    print(f"MLflow store {target}: schema {schema_s:.1f} s, copied in {total - schema_s:.1f} s: "
          + ", ".join(f"{table} {n:,}" for table, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
