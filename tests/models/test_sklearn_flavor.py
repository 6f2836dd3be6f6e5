"""The scikit-learn flavor saved and loaded from local directories (skops, pickle, cloudpickle)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from runyard.errors import InvalidParameterValue, ResourceAlreadyExists
from runyard.flavors import sklearn as flavor
from runyard.flavors.loading import load_pyfunc
from runyard.models import Model, infer_signature


def _data(n: int = 60) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.normal(size=n)})
    return frame, (frame.a - frame.b > 0).astype(int).to_numpy()


def _mlmodel(path) -> dict:
    return yaml.safe_load((path / "MLmodel").read_text())


def _double(values):  # a module-level function: skops must not trust it
    return values * 2


def test_linear_regression_default_skops(tmp_path):
    X, y = _data()
    model = LinearRegression().fit(X, y)
    flavor.save_model(model, tmp_path / "m", input_example=X[:3])
    written = _mlmodel(tmp_path / "m")
    assert written["flavors"]["sklearn"] == {"pickled_model": "model.skops", "sklearn_version": flavor_version(),
                                             "serialization_format": "skops", "code": None,
                                             "skops_trusted_types": None}
    assert written["flavors"]["python_function"]["loader_module"] == "mlflow.sklearn"
    assert written["flavors"]["python_function"]["model_path"] == "model.skops"
    assert written["flavors"]["python_function"]["predict_fn"] == "predict"
    # The signature is inferred from the example and the model's prediction on it.
    assert [c.name for c in Model.load(tmp_path / "m").get_input_schema().inputs] == ["a", "b", "c"]
    requirements = (tmp_path / "m" / "requirements.txt").read_text().splitlines()
    assert [r.split("==")[0] for r in requirements] == ["scikit-learn", "numpy", "scipy", "skops"]
    assert all("==" in r for r in requirements)
    loaded = flavor.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.coef_, model.coef_)
    np.testing.assert_allclose(load_pyfunc(tmp_path / "m").predict(X), model.predict(X))
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "MLmodel", "conda.yaml", "input_example.json", "model.skops", "python_env.yaml", "requirements.txt",
        "serving_input_example.json"]


def flavor_version() -> str:
    import sklearn

    return sklearn.__version__


@pytest.mark.parametrize("estimator", [
    RandomForestClassifier(n_estimators=5, random_state=0),
    HistGradientBoostingClassifier(max_iter=5),
    KNeighborsClassifier(n_neighbors=3),
], ids=lambda e: type(e).__name__)
def test_library_types_are_trusted_with_default_arguments(tmp_path, estimator):
    X, y = _data()
    model = estimator.fit(X, y)
    flavor.save_model(model, tmp_path / "m")
    trusted = _mlmodel(tmp_path / "m")["flavors"]["sklearn"]["skops_trusted_types"]
    assert trusted and all(t.startswith("sklearn.") for t in trusted)
    np.testing.assert_array_equal(flavor.load_model(tmp_path / "m").predict(X), model.predict(X))
    # Files that do not list their types (MLflow's with default arguments) load too.
    conf = _mlmodel(tmp_path / "m")
    conf["flavors"]["sklearn"]["skops_trusted_types"] = None
    (tmp_path / "m" / "MLmodel").write_text(yaml.safe_dump(conf))
    np.testing.assert_array_equal(load_pyfunc(tmp_path / "m").predict(X), model.predict(X))


def test_pipeline_with_column_transformer(tmp_path):
    X, y = _data()
    X["color"] = np.where(y == 1, "red", "blue")
    pipeline = make_pipeline(
        ColumnTransformer([("num", StandardScaler(), ["a", "b", "c"]), ("cat", OneHotEncoder(), ["color"])]),
        FunctionTransformer(np.tanh), LogisticRegression())
    pipeline.fit(X, y)
    signature = infer_signature(X, pipeline.predict(X))
    flavor.save_model(pipeline, tmp_path / "m", signature=signature, pyfunc_predict_fn="predict_proba")
    pyfunc_model = load_pyfunc(tmp_path / "m")
    np.testing.assert_allclose(pyfunc_model.predict(X), pipeline.predict_proba(X))
    np.testing.assert_array_equal(flavor.load_model(tmp_path / "m").predict(X), pipeline.predict(X))


def test_user_functions_are_never_trusted_automatically(tmp_path):
    X, y = _data()
    pipeline = make_pipeline(FunctionTransformer(_double), LogisticRegression()).fit(X, y)
    with pytest.raises(InvalidParameterValue, match=r"_double.*skops_trusted_types") as info:
        flavor.save_model(pipeline, tmp_path / "refused")
    assert "cloudpickle" in str(info.value)
    name = f"{__name__}._double"
    flavor.save_model(pipeline, tmp_path / "declared", skops_trusted_types=[name])
    assert name in _mlmodel(tmp_path / "declared")["flavors"]["sklearn"]["skops_trusted_types"]
    np.testing.assert_array_equal(flavor.load_model(tmp_path / "declared").predict(X), pipeline.predict(X))


@pytest.mark.parametrize("fmt", ["pickle", "cloudpickle"])
def test_pickle_formats(tmp_path, fmt):
    X, y = _data()
    model = make_pipeline(FunctionTransformer(_double), LogisticRegression()).fit(X, y)
    flavor.save_model(model, tmp_path / "m", serialization_format=fmt)
    written = _mlmodel(tmp_path / "m")
    assert written["flavors"]["sklearn"]["pickled_model"] == "model.pkl"
    assert written["flavors"]["sklearn"]["serialization_format"] == fmt
    requirements = (tmp_path / "m" / "requirements.txt").read_text()
    assert ("cloudpickle==" in requirements) == (fmt == "cloudpickle") and "skops" not in requirements
    np.testing.assert_array_equal(flavor.load_model(tmp_path / "m").predict(X), model.predict(X))
    np.testing.assert_array_equal(load_pyfunc(tmp_path / "m").predict(X), model.predict(X))


def test_argument_errors(tmp_path):
    X, y = _data()
    model = LinearRegression().fit(X, y)
    with pytest.raises(InvalidParameterValue, match="Unrecognized serialization format"):
        flavor.save_model(model, tmp_path / "a", serialization_format="joblib")
    with pytest.raises(InvalidParameterValue, match="pyfunc_predict_fn"):
        flavor.save_model(model, tmp_path / "b", pyfunc_predict_fn="transform")
    flavor.save_model(model, tmp_path / "c")
    with pytest.raises(ResourceAlreadyExists):
        flavor.save_model(model, tmp_path / "c")
    with pytest.raises(InvalidParameterValue, match="not a local path"):
        flavor.load_model("runs:/abc/model")


def test_metadata_code_paths_and_requirement_overrides(tmp_path):
    X, y = _data()
    helper = tmp_path / "my_helper_module.py"
    helper.write_text("A = 1\n")
    model = LinearRegression().fit(X, y)
    flavor.save_model(model, tmp_path / "m", metadata={"owner": "team"}, code_paths=[str(helper)],
                      extra_pip_requirements=["pandas>=2"], signature=False, input_example=X[:2])
    written = _mlmodel(tmp_path / "m")
    assert written["metadata"] == {"owner": "team"}
    assert written["flavors"]["sklearn"]["code"] == written["flavors"]["python_function"]["code"] == "code"
    assert (tmp_path / "m" / "code" / "my_helper_module.py").exists()
    assert "signature" not in written
    assert (tmp_path / "m" / "requirements.txt").read_text().splitlines()[-1] == "pandas>=2"


def test_requirements_include_packages_the_estimator_comes_from(tmp_path):
    X, y = _data()
    # An inverse function that is never called still names the distribution it comes from.
    model = make_pipeline(FunctionTransformer(inverse_func=yaml.safe_dump, check_inverse=False), LogisticRegression())
    model.fit(X, y)
    flavor.save_model(model, tmp_path / "m", serialization_format="cloudpickle")
    assert any(r.startswith("PyYAML==") for r in (tmp_path / "m" / "requirements.txt").read_text().splitlines())
