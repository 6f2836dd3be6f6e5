"""The XGBoost flavor: Booster and scikit-learn API models in ubj and json, MLflow's flavor keys,
``log_model``/``load_model`` through model URIs, and models crossing to and from mlflow 3.17.2."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
import yaml

import runyard
from runyard.errors import InvalidParameterValue
from runyard.flavors import xgboost as flavor
from runyard.models import infer_signature
from tests.models.mlflow_interop import interop, mlflow  # noqa: F401 - the fixture


def _data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(80, 4)), columns=["a", "b", "c", "d"])
    return X, ((X.a - X.c) > 0).astype(int).to_numpy()


def _booster() -> tuple[xgb.Booster, pd.DataFrame]:
    X, y = _data()
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 2}, xgb.DMatrix(X, label=y), num_boost_round=4)
    return booster, X


def _classifier() -> tuple[xgb.XGBClassifier, pd.DataFrame]:
    X, y = _data()
    return xgb.XGBClassifier(n_estimators=4, max_depth=2).fit(X, y), X


def _mlmodel(path) -> dict:
    with open(os.path.join(path, "MLmodel"), encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.mark.parametrize("fmt", ["ubj", "json"])
def test_booster_round_trip_and_flavor_keys(tmp_path, fmt):
    booster, X = _booster()
    flavor.save_model(booster, tmp_path / "m", model_format=fmt, input_example=X[:3])
    conf = _mlmodel(tmp_path / "m")["flavors"]
    assert conf["xgboost"] == {"xgb_version": xgb.__version__, "data": f"model.{fmt}", "code": None,
                               "model_class": "xgboost.core.Booster", "model_format": fmt}
    assert conf["python_function"]["loader_module"] == "mlflow.xgboost"
    assert conf["python_function"]["data"] == f"model.{fmt}"
    assert os.path.isfile(tmp_path / "m" / f"model.{fmt}")
    with open(tmp_path / "m" / "requirements.txt", encoding="utf-8") as f:
        assert f.read().splitlines()[0] == f"xgboost=={xgb.__version__}"
    loaded = flavor.load_model(tmp_path / "m")
    assert isinstance(loaded, xgb.Booster)
    expected = booster.predict(xgb.DMatrix(X))
    np.testing.assert_allclose(loaded.predict(xgb.DMatrix(X)), expected)
    model = runyard.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(model.predict(X), expected)
    assert model.metadata.signature is not None  # inferred from the input example


def test_sklearn_api_model_loads_as_its_class(tmp_path):
    model, X = _classifier()
    flavor.save_model(model, tmp_path / "m")
    assert _mlmodel(tmp_path / "m")["flavors"]["xgboost"]["model_class"] == "xgboost.sklearn.XGBClassifier"
    loaded = runyard.xgboost.load_model(str(tmp_path / "m"))
    assert isinstance(loaded, xgb.XGBClassifier)
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(runyard.pyfunc.load_model(str(tmp_path / "m")).predict(X), model.predict(X))


def test_pyfunc_passes_known_predict_params(tmp_path):
    booster, X = _booster()
    signature = infer_signature(X, booster.predict(xgb.DMatrix(X)), params={"output_margin": False, "other": 1})
    flavor.save_model(booster, tmp_path / "m", signature=signature)
    model = runyard.pyfunc.load_model(str(tmp_path / "m"))
    margins = model.predict(X, params={"output_margin": True, "other": 2})  # `other` is no predict argument
    np.testing.assert_allclose(margins, booster.predict(xgb.DMatrix(X), output_margin=True))


def test_bad_arguments_are_refused(tmp_path):
    booster, _ = _booster()
    with pytest.raises(InvalidParameterValue, match="model_format"):
        flavor.save_model(booster, tmp_path / "a", model_format="bin")
    with pytest.raises(InvalidParameterValue, match="xgb_model must be"):
        flavor.save_model(object(), tmp_path / "b")


def test_model_class_outside_xgboost_is_not_imported(tmp_path):
    booster, _ = _booster()
    flavor.save_model(booster, tmp_path / "m")
    meta = _mlmodel(tmp_path / "m")
    meta["flavors"]["xgboost"]["model_class"] = "some_unimported_module.Evil"
    with open(tmp_path / "m" / "MLmodel", "w", encoding="utf-8") as f:
        yaml.safe_dump(meta, f)
    with pytest.raises(InvalidParameterValue, match="not a xgboost class"):
        flavor.load_model(tmp_path / "m")
    meta["flavors"]["xgboost"]["model_class"] = "os.PathLike"  # imported, but not a model class
    with open(tmp_path / "m" / "MLmodel", "w", encoding="utf-8") as f:
        yaml.safe_dump(meta, f)
    with pytest.raises(InvalidParameterValue, match="not a xgboost model class"):
        flavor.load_model(tmp_path / "m")


def test_log_model_and_load_by_uri(tracking):
    model, X = _classifier()
    with runyard.start_run() as run:
        info = runyard.xgboost.log_model(model, name="model", input_example=X[:5], model_format="json")
    assert info.run_id == run.info.run_id and info.flavors["xgboost"]["model_format"] == "json"
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/model"):
        loaded = runyard.xgboost.load_model(uri)
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(runyard.pyfunc.load_model(info.model_uri).predict(X), model.predict(X))


# -- interop with mlflow 3.17.2 --------------------------------------------------------------------
@interop
@pytest.mark.parametrize("fmt", ["ubj", "json"])
@pytest.mark.parametrize("kind", ["booster", "classifier"])
def test_mlflow_saved_xgboost_models_load_in_runyard(mlflow, tmp_path, fmt, kind):
    model, X = _booster() if kind == "booster" else _classifier()
    mlflow.xgboost.save_model(model, tmp_path / "m", model_format=fmt, pip_requirements=["xgboost"])
    expected = mlflow.pyfunc.load_model(str(tmp_path / "m")).predict(X)
    np.testing.assert_allclose(runyard.pyfunc.load_model(str(tmp_path / "m")).predict(X), expected)
    assert type(runyard.xgboost.load_model(str(tmp_path / "m"))) is type(model)


@interop
@pytest.mark.parametrize("fmt", ["ubj", "json"])
@pytest.mark.parametrize("kind", ["booster", "classifier"])
def test_runyard_saved_xgboost_models_load_in_mlflow(mlflow, tmp_path, fmt, kind):
    model, X = _booster() if kind == "booster" else _classifier()
    runyard.xgboost.save_model(model, tmp_path / "m", model_format=fmt, input_example=X[:3])
    expected = runyard.pyfunc.load_model(str(tmp_path / "m")).predict(X)
    np.testing.assert_allclose(np.asarray(mlflow.pyfunc.load_model(str(tmp_path / "m")).predict(X)), expected)
    assert type(mlflow.xgboost.load_model(str(tmp_path / "m"))) is type(model)
