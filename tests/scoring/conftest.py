"""A scikit-learn model and a params-taking pyfunc model, logged and registered through runyard."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

import runyard
import runyard.pyfunc
import runyard.sklearn
from runyard.models import infer_signature


class Scaled(runyard.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        factor = (params or {}).get("factor", 1.0)
        return pd.DataFrame({"scaled": model_input["x"] * factor})


@pytest.fixture
def served_models(tracking):
    from sklearn.linear_model import LinearRegression

    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.0, 1.0, 0.0, 1.0]})
    y = 2 * X["a"] + 3 * X["b"]
    sk = LinearRegression().fit(X, y)
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    with runyard.start_run():
        runyard.sklearn.log_model(sk, name="model", signature=infer_signature(X, sk.predict(X)),
                                  registered_model_name="Housing")
        runyard.pyfunc.log_model(name="scaled", python_model=Scaled(), registered_model_name="Scaled",
                                 signature=infer_signature(frame, frame, params={"factor": 1.0}))
    client = runyard.MlflowClient()
    client.set_registered_model_alias("Housing", "champion", "1")
    return {"sklearn": "models:/Housing@champion", "scaled": "models:/Scaled/1", "tracking": tracking}


@pytest.fixture
def expected():
    return lambda rows: [2 * a + 3 * b for a, b in rows]



def pytest_configure(config):
    config.addinivalue_line("markers", "env_build: builds real model environments with pip or uv (downloads "
                                       "packages; about a minute each on a quiet machine)")


@pytest.fixture(scope="session")
def env_root(tmp_path_factory):
    """One environment root for the session: the runyard wheel is built once and shared."""
    return tmp_path_factory.mktemp("envs")


@pytest.fixture(scope="session")
def doubler(tmp_path_factory):
    """A custom model pickled by value (see env_model.py): on disk and as models:/Doubler/1."""
    where = tmp_path_factory.mktemp("doubler")
    tracking = f"sqlite:///{where}/runyard.db"
    script = os.path.join(os.path.dirname(__file__), "env_model.py")
    subprocess.run([sys.executable, script, str(where / "model"), tracking], cwd=where, check=True,
                   capture_output=True, timeout=300)
    return {"path": str(where / "model"), "uri": "models:/Doubler/1", "tracking": tracking}
