"""Models cross between runyard and mlflow 3.17.2 in both directions: what one saves, the other
loads and predicts the same. Custom models also load in a process that lacks the other library."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import runyard
from runyard.models import infer_signature
from runyard.stores import factory
from tests.compat.mlflow_server import QUIET
from tests.live_server import live_server

pytestmark = [
    # mlflow's own warnings, not runyard's: importing mlflow.pyfunc infers a schema from its agent
    # type hints, and its dataset digest calls a pandas API deprecated in pandas 3.
    pytest.mark.filterwarnings(r"ignore:.*Any type hint is inferred as AnyType:UserWarning:mlflow\.types\.type_hints"),
    pytest.mark.filterwarnings(r"ignore:Starting with pandas version 4\.0:pandas.errors.Pandas4Warning:mlflow"),
    # mlflow's input-example writer compares a column index with a range (deprecated in pandas 3).
    pytest.mark.filterwarnings(
        r"ignore:Operation with range is deprecated:pandas.errors.Pandas4Warning:mlflow\.models\.utils"),
]


@pytest.fixture(scope="module")
def mlflow():
    with pytest.MonkeyPatch.context() as mp:
        for name, value in QUIET.items():
            mp.setenv(name, value)
        module = importlib.import_module("mlflow")
        importlib.import_module("mlflow.sklearn")
        importlib.import_module("mlflow.pyfunc")
        yield module


def _data():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "c"])
    return X, (X.a + X.b > 0).astype(int).to_numpy()


def _run_isolated(code: str, blocked: str, cwd) -> str:
    """Run ``code`` in a fresh interpreter in which ``import <blocked>`` fails."""
    script = f"import sys\nsys.modules[{blocked!r}] = None\n" + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**QUIET, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)}, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


# -- mlflow saves, runyard loads -------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["skops", "pickle", "cloudpickle"])
def test_mlflow_sklearn_models_load_in_runyard(mlflow, tmp_path, fmt):
    X, y = _data()
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    mlflow.sklearn.save_model(model, tmp_path / "m", serialization_format=fmt, input_example=X[:3],
                              pip_requirements=["scikit-learn"])
    np.testing.assert_array_equal(runyard.pyfunc.load_model(str(tmp_path / "m")).predict(X), model.predict(X))
    np.testing.assert_array_equal(runyard.sklearn.load_model(str(tmp_path / "m")).predict_proba(X),
                                  model.predict_proba(X))


def test_mlflow_forest_saved_with_listed_types_loads_in_runyard(mlflow, tmp_path):
    X, y = _data()
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    mlflow.sklearn.save_model(forest, tmp_path / "m", skops_trusted_types=["sklearn.tree._tree.Tree"],
                              signature=infer_signature(X, forest.predict(X)), pip_requirements=["scikit-learn"])
    loaded = runyard.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_array_equal(loaded.predict(X), forest.predict(X))
    assert [c.name for c in loaded.metadata.get_input_schema().inputs] == ["a", "b", "c"]


def _mlflow_custom_model(mlflow):
    class Offset(mlflow.pyfunc.PythonModel):
        def load_context(self, context):
            with open(context.artifacts["offset"]) as f:
                self.offset = json.load(f)

        def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.Series:
            return model_input["a"] + self.offset * (params or {}).get("scale", 1)

    class Shout(mlflow.pyfunc.PythonModel):
        def predict(self, model_input: list[str]) -> list[str]:
            return [text.upper() + "!" for text in model_input]

    return Offset(), Shout()


def test_mlflow_custom_models_load_in_runyard_and_without_mlflow(mlflow, tmp_path):
    (tmp_path / "offset.json").write_text("100")
    offset, shout = _mlflow_custom_model(mlflow)
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    mlflow.pyfunc.save_model(tmp_path / "offset", python_model=offset, artifacts={"offset": str(tmp_path / "offset.json")},
                             input_example=(frame, {"scale": 1}), pip_requirements=["pandas"])
    mlflow.pyfunc.save_model(tmp_path / "shout", python_model=shout, pip_requirements=["pandas"])
    expected = mlflow.pyfunc.load_model(str(tmp_path / "offset")).predict(frame, params={"scale": 2})

    loaded = runyard.pyfunc.load_model(str(tmp_path / "offset"))
    pd.testing.assert_series_equal(loaded.predict(frame, params={"scale": 2}), expected)
    assert type(loaded.unwrap_python_model()).__name__ == "Offset"  # this process still has the class
    assert runyard.pyfunc.load_model(str(tmp_path / "shout")).predict(["a", "b"]) == ["A!", "B!"]

    out = _run_isolated("""
        import pandas as pd, runyard.pyfunc
        offset = runyard.pyfunc.load_model("offset").predict(pd.DataFrame({"a": [1.0, 2.0]}), params={"scale": 2})
        shout = runyard.pyfunc.load_model("shout").predict(pd.DataFrame({"text": ["x"]}))
        print(offset.tolist(), shout, "mlflow" in sys.modules and sys.modules["mlflow"] is not None)
    """, "mlflow", tmp_path)
    assert out == "[201.0, 202.0] ['X!'] False"


# -- runyard saves, mlflow loads -------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["skops", "pickle", "cloudpickle"])
def test_runyard_sklearn_models_load_in_mlflow(mlflow, tmp_path, fmt):
    X, y = _data()
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    runyard.sklearn.save_model(model, tmp_path / "m", serialization_format=fmt, input_example=X[:3])
    np.testing.assert_array_equal(mlflow.pyfunc.load_model(str(tmp_path / "m")).predict(X), model.predict(X))
    np.testing.assert_array_equal(mlflow.sklearn.load_model(str(tmp_path / "m")).predict(X), model.predict(X))
    info = mlflow.models.get_model_info(str(tmp_path / "m"))
    assert [c.name for c in info.signature.inputs] == ["a", "b", "c"]


def test_runyard_forest_with_default_arguments_loads_in_mlflow(mlflow, tmp_path):
    X, y = _data()
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    runyard.sklearn.save_model(forest, tmp_path / "m")
    np.testing.assert_array_equal(mlflow.sklearn.load_model(str(tmp_path / "m")).predict(X), forest.predict(X))


def test_runyard_custom_model_loads_in_mlflow_and_without_runyard(mlflow, tmp_path):
    (tmp_path / "offset.json").write_text("100")

    class Offset(runyard.pyfunc.PythonModel):
        def load_context(self, context):
            with open(context.artifacts["offset"]) as f:
                self.offset = json.load(f)

        def predict(self, context, model_input, params=None):
            return model_input["a"] + self.offset * (params or {}).get("scale", 1)

    frame = pd.DataFrame({"a": [1.0, 2.0]})
    runyard.pyfunc.save_model(tmp_path / "m", python_model=Offset(), artifacts={"offset": str(tmp_path / "offset.json")},
                              signature=infer_signature(frame, frame["a"], params={"scale": 1}))
    expected = runyard.pyfunc.load_model(str(tmp_path / "m")).predict(frame, params={"scale": 2})
    pd.testing.assert_series_equal(mlflow.pyfunc.load_model(str(tmp_path / "m")).predict(frame, params={"scale": 2}),
                                   expected)
    out = _run_isolated("""
        import pandas as pd, mlflow.pyfunc
        model = mlflow.pyfunc.load_model("m")
        print(model.predict(pd.DataFrame({"a": [1.0, 2.0]}), params={"scale": 2}).tolist(), "runyard" in sys.modules and sys.modules["runyard"] is not None)
    """, "runyard", tmp_path)
    assert out == "[201.0, 202.0] False"


def test_runyard_logged_model_loads_in_mlflow_through_the_server(mlflow, tracking, tmp_path):
    X, y = _data()
    model = LinearRegression().fit(X, y)
    with live_server(f"sqlite:///{tmp_path}/server.db", str(tmp_path / "artifacts")) as server:
        factory.clear_cache()
        runyard.set_tracking_uri(server.url)
        with runyard.start_run() as run:
            info = runyard.sklearn.log_model(model, name="model", input_example=X[:5])
        mlflow.set_tracking_uri(server.url)
        try:
            for uri in (info.model_uri, f"runs:/{run.info.run_id}/model"):
                np.testing.assert_allclose(mlflow.pyfunc.load_model(uri).predict(X), model.predict(X))
            logged = mlflow.get_logged_model(info.model_id)
            assert (logged.name, logged.source_run_id) == ("model", run.info.run_id)
        finally:
            mlflow.set_tracking_uri(None)
