"""The same saved models evaluated by the stock mlflow (in a subprocess, on its own SQLite store)
and by runyard give the same metrics and the same artifact names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

import runyard
from tests.compat.mlflow_server import QUIET

CASES = {"regressor": load_diabetes, "binary": load_breast_cancer, "multiclass": load_iris}

# Fits, saves (as MLflow's sklearn flavor) and evaluates each case with mlflow; prints the results.
_MLFLOW_SIDE = """
import json, sys, warnings
warnings.simplefilter("ignore")
import mlflow
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
root = sys.argv[1]
mlflow.set_tracking_uri(f"sqlite:///{root}/mlflow.db")
cases = {"regressor": (load_diabetes, LinearRegression(), "regressor"),
         "binary": (load_breast_cancer, make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)), "classifier"),
         "multiclass": (load_iris, LogisticRegression(max_iter=1000), "classifier")}
out = {}
for name, (loader, estimator, model_type) in cases.items():
    X, y = loader(return_X_y=True, as_frame=True)
    path = f"{root}/{name}"
    mlflow.sklearn.save_model(estimator.fit(X, y), path, pip_requirements=[])
    frame = X.assign(label=y)
    with mlflow.start_run():
        result = mlflow.models.evaluate(path, frame, targets="label", model_type=model_type)
    out[name] = {"metrics": {k: float(v) for k, v in result.metrics.items()}, "artifacts": sorted(result.artifacts)}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def mlflow_side(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("mlflow-eval")
    # The subprocess starts from a clean slate: a tracking URI or experiment id an earlier test left
    # in this process's environment (stock mlflow's set_experiment exports one) must not reach it.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "RUNYARD_"))}
    env.update(QUIET)
    env["PYTHONWARNINGS"] = "ignore"
    done = subprocess.run([sys.executable, "-c", _MLFLOW_SIDE, str(root)], capture_output=True, text=True,
                          timeout=600, check=False, env=env, cwd=root)
    assert done.returncode == 0, done.stderr[-4000:]
    return root, json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_metrics_as_mlflow(tracking, mlflow_side, case):
    root, theirs = mlflow_side
    X, y = CASES[case](return_X_y=True, as_frame=True)
    model_type = "regressor" if case == "regressor" else "classifier"
    ours = runyard.models.evaluate(str(root / case), X.assign(label=y), targets="label", model_type=model_type)
    assert set(ours.metrics) == set(theirs[case]["metrics"])
    for key, value in theirs[case]["metrics"].items():
        assert ours.metrics[key] == pytest.approx(value, rel=1e-9), key
    # MLflow draws no regressor plot (SHAP's need shap); ours adds a residuals plot
    assert set(theirs[case]["artifacts"]) <= set(ours.artifacts)
