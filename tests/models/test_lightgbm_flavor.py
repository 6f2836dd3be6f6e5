"""The LightGBM flavor: a Booster as native text, scikit-learn API models as skops (default),
pickle or cloudpickle, MLflow's flavor keys, model URIs, and models crossing to and from mlflow."""

from __future__ import annotations

import os

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import yaml

import runyard
from runyard.errors import InvalidParameterValue
from runyard.flavors import lightgbm as flavor
from tests.models.mlflow_interop import interop, mlflow  # noqa: F401 - the fixture


def _data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(11)
    X = pd.DataFrame(rng.normal(size=(120, 4)), columns=["a", "b", "c", "d"])
    return X, ((X.a + X.d) > 0).astype(int).to_numpy()


def _booster() -> tuple[lgb.Booster, pd.DataFrame]:
    X, y = _data()
    params = {"objective": "binary", "verbose": -1, "min_data_in_leaf": 5}
    return lgb.train(params, lgb.Dataset(X, label=y), num_boost_round=5), X


def _classifier() -> tuple[lgb.LGBMClassifier, pd.DataFrame]:
    X, y = _data()
    return lgb.LGBMClassifier(n_estimators=5, min_child_samples=5, verbose=-1).fit(X, y), X


def _regressor() -> tuple[lgb.LGBMRegressor, pd.DataFrame]:
    X, _ = _data()
    return lgb.LGBMRegressor(n_estimators=5, min_child_samples=5, verbose=-1).fit(X, X.a * 2 - X.b), X


def _mlmodel(path) -> dict:
    with open(os.path.join(path, "MLmodel"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def test_booster_is_saved_as_native_text(tmp_path):
    booster, X = _booster()
    flavor.save_model(booster, tmp_path / "m", input_example=X[:3])
    conf = _mlmodel(tmp_path / "m")["flavors"]
    assert conf["lightgbm"] == {"lgb_version": lgb.__version__, "data": "model.lgb", "code": None,
                                "model_class": "lightgbm.basic.Booster"}
    assert conf["python_function"]["loader_module"] == "mlflow.lightgbm"
    with open(tmp_path / "m" / "model.lgb", encoding="utf-8") as f:
        assert f.readline().strip() == "tree"  # LightGBM's text format
    loaded = runyard.lightgbm.load_model(str(tmp_path / "m"))
    assert isinstance(loaded, lgb.Booster)
    np.testing.assert_allclose(loaded.predict(X), booster.predict(X))
    model = runyard.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(model.predict(X), booster.predict(X))
    assert model.metadata.signature is not None


@pytest.mark.parametrize("fmt", ["skops", "pickle", "cloudpickle"])
def test_sklearn_api_models_in_each_format(tmp_path, fmt, caplog):
    model, X = _classifier()
    flavor.save_model(model, tmp_path / "m", serialization_format=fmt)
    conf = _mlmodel(tmp_path / "m")["flavors"]["lightgbm"]
    data = "model.skops" if fmt == "skops" else "model.pkl"
    assert (conf["data"], conf["serialization_format"], conf["model_class"]) == (
        data, fmt, "lightgbm.sklearn.LGBMClassifier")
    if fmt == "skops":
        assert conf["skops_trusted_types"] == ["collections.OrderedDict", "lightgbm.basic.Booster",
                                               "lightgbm.sklearn.LGBMClassifier"]
    else:
        assert "runs code" in caplog.text
    with open(tmp_path / "m" / "requirements.txt", encoding="utf-8") as f:
        requirements = {line.split("==")[0] for line in f.read().splitlines()}
    assert {"lightgbm", "scikit-learn"} <= requirements and (fmt == "pickle" or fmt in requirements)
    loaded = runyard.lightgbm.load_model(str(tmp_path / "m"))
    assert isinstance(loaded, lgb.LGBMClassifier)
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(runyard.pyfunc.load_model(str(tmp_path / "m")).predict(X), model.predict(X))


def test_skops_refuses_untrusted_types_unless_listed(tmp_path):
    X, y = _data()

    def custom_objective(y_true, y_pred):  # a function: skops never trusts it by itself
        grad = y_pred - y_true
        return grad, np.ones_like(grad)

    model = lgb.LGBMRegressor(n_estimators=3, objective=custom_objective, verbose=-1).fit(X, y)
    with pytest.raises(InvalidParameterValue, match="does not trust"):
        flavor.save_model(model, tmp_path / "m")
    assert not os.path.exists(tmp_path / "m" / "model.skops")


def test_bad_arguments_are_refused(tmp_path):
    booster, _ = _booster()
    with pytest.raises(InvalidParameterValue, match="serialization format"):
        flavor.save_model(booster, tmp_path / "a", serialization_format="joblib")
    with pytest.raises(InvalidParameterValue, match="lgb_model must be"):
        flavor.save_model([1, 2], tmp_path / "b")


def test_log_model_and_load_by_uri(tracking):
    model, X = _regressor()
    with runyard.start_run() as run:
        info = runyard.lightgbm.log_model(model, name="model", input_example=X[:5])
    assert info.flavors["lightgbm"]["model_class"] == "lightgbm.sklearn.LGBMRegressor"
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/model"):
        np.testing.assert_allclose(runyard.lightgbm.load_model(uri).predict(X), model.predict(X))
    np.testing.assert_allclose(runyard.pyfunc.load_model(info.model_uri).predict(X), model.predict(X))


# -- interop with mlflow 3.17.2 --------------------------------------------------------------------
@interop
@pytest.mark.parametrize("kind,fmt", [("booster", None), ("classifier", "skops"), ("classifier", "pickle"),
                                      ("regressor", "skops"), ("regressor", "cloudpickle")])
def test_mlflow_saved_lightgbm_models_load_in_runyard(mlflow, tmp_path, kind, fmt):
    model, X = {"booster": _booster, "classifier": _classifier, "regressor": _regressor}[kind]()
    mlflow.lightgbm.save_model(model, tmp_path / "m", serialization_format=fmt, pip_requirements=["lightgbm"])
    expected = mlflow.pyfunc.load_model(str(tmp_path / "m")).predict(X)
    np.testing.assert_allclose(runyard.pyfunc.load_model(str(tmp_path / "m")).predict(X), expected)
    assert type(runyard.lightgbm.load_model(str(tmp_path / "m"))) is type(model)


@interop
@pytest.mark.parametrize("kind,fmt", [("booster", None), ("classifier", "skops"), ("classifier", "pickle"),
                                      ("regressor", "skops"), ("regressor", "cloudpickle")])
def test_runyard_saved_lightgbm_models_load_in_mlflow(mlflow, tmp_path, kind, fmt):
    model, X = {"booster": _booster, "classifier": _classifier, "regressor": _regressor}[kind]()
    runyard.lightgbm.save_model(model, tmp_path / "m", serialization_format=fmt, input_example=X[:3])
    expected = runyard.pyfunc.load_model(str(tmp_path / "m")).predict(X)
    np.testing.assert_allclose(np.asarray(mlflow.pyfunc.load_model(str(tmp_path / "m")).predict(X)), expected)
    assert type(mlflow.lightgbm.load_model(str(tmp_path / "m"))) is type(model)
