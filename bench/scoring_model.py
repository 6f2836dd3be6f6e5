"""The model of ``bench/bench_scoring.py``: a housing-like table, one fitted scikit-learn model, each
library's saved copy of it, and the requests with the answers the fitted model itself gives.

Child entry point (the harness calls it; it saves in a fresh process so that neither library is
imported into the harness)::

    python bench/bench_scoring.py --save LIB FORMAT MODEL.pkl SAMPLE.npy OUT_DIR
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import time
from typing import Any

import numpy as np

import scoring_client as sc
import server_procs as sp

DISTINCT_ROWS = 256  # 1-row requests cycle over this many different rows
BATCHES = 4  # 100-row requests cycle over this many different batches
BATCH_ROWS = 100


def housing_like(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A table shaped like the California housing data (8 float columns) and a target for it."""
    rng = np.random.default_rng(seed)
    med_inc = rng.lognormal(1.2, 0.45, n)
    age = rng.integers(1, 53, n).astype(np.float64)
    rooms = rng.normal(5.4, 1.2, n).clip(1.0)
    bedrooms = (rooms * rng.normal(0.2, 0.02, n)).clip(0.5)
    population = rng.lognormal(7.0, 0.7, n).round()
    occupancy = rng.normal(2.9, 0.6, n).clip(1.0)
    lat = rng.uniform(32.5, 42.0, n)
    lon = rng.uniform(-124.3, -114.3, n)
    X = np.column_stack([med_inc, age, rooms, bedrooms, population, occupancy, lat, lon])
    y = (0.42 * med_inc + 0.01 * age - 0.1 * rooms + 0.6 * bedrooms - 0.04 * occupancy
         - 0.4 * (lat - 35) - 0.4 * (lon + 119) + rng.normal(0, 0.3, n))
    return X, y


def fit_model(kind: str) -> tuple[Any, np.ndarray]:
    """(fitted model, its 5,000 x 8 training table); ``kind`` is ``linear`` or ``forest``."""
    import pandas as pd

    X, y = housing_like(5000)
    frame = pd.DataFrame(X, columns=sc.COLUMNS)
    if kind == "forest":
        from sklearn.ensemble import RandomForestRegressor

        model = RandomForestRegressor(n_estimators=50, max_depth=10, random_state=0).fit(frame, y)
    else:
        from sklearn.linear_model import LinearRegression

        model = LinearRegression().fit(frame, y)
    return model, X


def save_child(lib: str, fmt_name: str, pickle_path: str, sample_path: str, out: str) -> None:
    """In a subprocess: ``<lib>.sklearn.save_model`` of the pickled fitted model, with a signature
    inferred from 100 rows, and explicit pip requirements (MLflow would otherwise spend up to half a
    minute inferring them in a subprocess; serving does not read them with --env-manager local)."""
    import importlib

    import pandas as pd
    import sklearn

    flavor = importlib.import_module(f"{lib}.sklearn")
    infer_signature = importlib.import_module(f"{lib}.models").infer_signature
    with open(pickle_path, "rb") as f:
        model = pickle.load(f)
    sample = pd.DataFrame(np.load(sample_path), columns=sc.COLUMNS)
    extra: dict[str, Any] = {"serialization_format": fmt_name}
    if lib == "mlflow" and fmt_name == "skops" and hasattr(model, "estimators_"):
        extra["skops_trusted_types"] = ["sklearn.tree._tree.Tree"]  # MLflow refuses to load forests otherwise
    start = time.perf_counter()
    flavor.save_model(model, out, signature=infer_signature(sample, model.predict(sample)),
                      pip_requirements=[f"scikit-learn=={sklearn.__version__}"], **extra)
    print(json.dumps({"save_s": time.perf_counter() - start}))


def save_with(lib: str, fmt_name: str, workdir: str, pickle_path: str, sample_path: str, script: str) -> tuple[str, float]:
    """(model directory, seconds ``save_model`` took) for ``lib``, saved by a child process."""
    out = os.path.join(workdir, f"{lib}-model")
    proc = subprocess.run([sys.executable, script, "--save", lib, fmt_name, pickle_path, sample_path, out],
                          cwd=workdir, env=sp.server_env(), capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"{lib}.sklearn.save_model failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return out, json.loads(proc.stdout.strip().splitlines()[-1])["save_s"]


def prepare(kind: str, fmt_name: str, libs: list[str], workdir: str, script: str) -> tuple[dict[str, Any], dict[str, float]]:
    """Fit the model, have each library save it, and build the request bodies with their answers.
    Returns (requests, save seconds per library)."""
    model, X = fit_model(kind)
    pickle_path, sample_path = os.path.join(workdir, "model.pkl"), os.path.join(workdir, "sample.npy")
    with open(pickle_path, "wb") as f:
        pickle.dump(model, f)
    np.save(sample_path, X[:100])
    saved = {lib: save_with(lib, fmt_name, workdir, pickle_path, sample_path, script)[1] for lib in libs}
    return build_requests(model, X), saved


def build_requests(model: Any, X: np.ndarray) -> dict[str, Any]:
    """``dataframe_split`` bodies of single rows and of 100-row batches, each with the predictions
    the fitted model gives for the same rows (as a DataFrame with the same columns)."""
    import pandas as pd

    def predict(rows: np.ndarray) -> np.ndarray:
        return np.asarray(model.predict(pd.DataFrame(rows, columns=sc.COLUMNS)), dtype=np.float64).ravel()

    one = [X[i:i + 1] for i in range(DISTINCT_ROWS)]
    batches = [X[DISTINCT_ROWS + BATCH_ROWS * b: DISTINCT_ROWS + BATCH_ROWS * (b + 1)] for b in range(BATCHES)]
    return {"one": {"bodies": [sc.split_body(r) for r in one], "expected": [predict(r) for r in one]},
            "batch": {"bodies": [sc.split_body(b) for b in batches], "expected": [predict(b) for b in batches]}}


def with_headers(reqs: dict[str, Any], port: int) -> dict[str, Any]:
    """The same requests as whole HTTP/1.1 POSTs to ``/invocations`` on ``port``."""
    return {k: {"raw": [sc.post_bytes("127.0.0.1", port, "/invocations", b) for b in v["bodies"]],
                "expected": v["expected"]} for k, v in reqs.items()}
