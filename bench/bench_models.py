"""Model logging and loading: runyard against MLflow (the pinned ``mlflow`` package), same run.

    python bench/bench_models.py [--quick] [--only-runyard] [--json OUT]

Each library runs in its own fresh subprocess and working directory with its own embedded SQLite
store. Per model (a LinearRegression and a 50-tree RandomForest, fitted on 1,000 x 10 rows):
``<lib>.sklearn.log_model(model, name="model")`` with default arguments (median of N calls after one
warm-up), then ``<lib>.pyfunc.load_model(info.model_uri)`` + ``predict`` of 1,000 rows (median of N).
Every loaded model's predictions are compared with the fitted model's: a wrong answer is a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGETS = {"log_model": 15.0, "load_predict": 1.0}


def child(lib: str, repeats: int) -> dict:
    import numpy as np
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import LinearRegression

    mod = __import__(lib)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 10))
    y = X @ rng.normal(size=10) + rng.normal(scale=0.1, size=1000)
    models = {
        "LinearRegression": LinearRegression().fit(X, y),
        "RandomForest(50)": RandomForestRegressor(n_estimators=50, max_depth=8, random_state=0).fit(X, y),
    }
    out = {}
    with mod.start_run():
        for label, model in models.items():
            expected = model.predict(X)
            log_times, load_times, info = [], [], None
            # MLflow 3.x refuses to load any forest saved with default arguments (skops: untrusted
            # sklearn.tree._tree.Tree); it is given the type explicitly so the row can be measured.
            extra = {"skops_trusted_types": ["sklearn.tree._tree.Tree"]} if lib == "mlflow" and "Forest" in label else {}
            for i in range(repeats + 1):
                start = time.perf_counter()
                info = mod.sklearn.log_model(model, name=f"m{i}", **extra)
                if i:
                    log_times.append(time.perf_counter() - start)
            for i in range(repeats + 1):
                start = time.perf_counter()
                loaded = mod.pyfunc.load_model(info.model_uri)
                got = loaded.predict(X)
                if i:
                    load_times.append(time.perf_counter() - start)
                if not np.allclose(np.asarray(got).ravel(), expected):
                    raise SystemExit(f"{lib} {label}: loaded model predicts differently")
            out[label] = {"log_model": statistics.median(log_times), "load_predict": statistics.median(load_times)}
    return out


def run_lib(lib: str, repeats: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-models-{lib}-") as work:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "RUNYARD_"))}
        env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
        if lib == "mlflow":
            env["MLFLOW_TRACKING_URI"] = f"sqlite:///{work}/mlflow.db"
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", lib, "--repeats", str(repeats)],
                              cwd=work, env=env, capture_output=True, text=True, timeout=1800)
        if proc.returncode != 0:
            raise SystemExit(f"{lib} child failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 repeat instead of 5")
    parser.add_argument("--only-runyard", action="store_true")
    parser.add_argument("--json", metavar="OUT")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 5)
    if args.child:
        print(json.dumps(child(args.child, repeats)))
        return 0
    libs = ["runyard"] if args.only_runyard else ["mlflow", "runyard"]
    results = {lib: run_lib(lib, repeats) for lib in libs}
    rows = []
    print(f"{'model':<18} {'workload':<14} " + " ".join(f"{lib:>12}" for lib in libs) + "   speedup  target")
    for label in results["runyard"]:
        for workload, target in TARGETS.items():
            values = [results[lib][label][workload] for lib in libs]
            speed = values[0] / values[-1] if len(libs) == 2 else None
            rows.append({"model": label, "workload": workload, **{lib: results[lib][label][workload] for lib in libs},
                         "speedup": speed, "target": target})
            line = f"{label:<18} {workload:<14} " + " ".join(f"{v * 1000:>10.1f}ms" for v in values)
            if speed is not None:
                line += f"   {speed:>6.1f}x  >= {target:g}x {'PASS' if speed >= target else 'FAIL'}"
            print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"repeats": repeats, "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
