"""``log_model`` as MLflow 3 does it (logged models) and every model URI form, on the embedded store
and through a live runyard server; S3 artifact locations too."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression

import runyard
from runyard.entities import LoggedModelStatus
from runyard.errors import ResourceDoesNotExist
from runyard.fluent.models import log_model as log_with_flavor
from runyard.models import infer_signature
from runyard.stores import factory
from tests.live_server import live_server


@pytest.fixture(params=["embedded", "server"])
def backend(request, tracking, tmp_path):
    """The embedded store (``tracking``), or a live runyard server with proxied artifacts."""
    if request.param == "embedded":
        yield tracking
        return
    with live_server(f"sqlite:///{tmp_path}/server.db", str(tmp_path / "served-artifacts")) as server:
        factory.clear_cache()
        runyard.set_tracking_uri(server.url)
        yield server.url


def _data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    return X, X.to_numpy() @ np.array([1.0, -2.0, 0.5])


def test_log_model_then_load_by_every_uri(backend):
    X, y = _data()
    model = LinearRegression().fit(X, y)
    runyard.set_experiment("models")
    with runyard.start_run() as run:
        runyard.log_param("alpha", 0.5)
        runyard.log_metric("rmse", 0.25)
        info = runyard.sklearn.log_model(model, name="model", signature=infer_signature(X, model.predict(X)),
                                         input_example=X[:5], params={"kind": "linear"}, tags={"team": "a"})
    run_id = run.info.run_id
    assert info.model_id.startswith("m-") and info.model_uri == f"models:/{info.model_id}"
    assert (info.run_id, info.name, info.artifact_path) == (run_id, "model", info.logged_model.artifact_location)
    assert info.artifact_path.endswith(f"/models/{info.model_id}/artifacts")
    assert info.flavors["sklearn"]["serialization_format"] == "skops"

    logged = runyard.get_logged_model(info.model_id)
    assert (logged.status, logged.source_run_id, logged.name) == (LoggedModelStatus.READY, run_id, "model")
    assert logged.params == {"kind": "linear", "alpha": "0.5"}
    assert logged.tags["team"] == "a" and logged.tags["mlflow.user"]
    assert [(m.key, m.value, m.model_id) for m in logged.metrics] == [("rmse", 0.25, info.model_id)]
    outputs = runyard.get_run(run_id).outputs.model_outputs
    assert [(o.model_id, o.step) for o in outputs] == [(info.model_id, 0)]
    assert runyard.last_logged_model().model_id == info.model_id

    expected = model.predict(X)
    for uri in (info.model_uri, f"runs:/{run_id}/model", logged.artifact_location):
        loaded = runyard.pyfunc.load_model(uri)
        np.testing.assert_allclose(loaded.predict(X), expected)
        assert loaded.metadata.model_id == info.model_id and loaded.metadata.run_id == run_id
    np.testing.assert_allclose(runyard.sklearn.load_model(f"runs:/{run_id}/model").coef_, model.coef_)
    model_info = runyard.models.get_model_info(f"runs:/{run_id}/model")
    assert (model_info.model_id, model_info.name, model_info.signature) == (info.model_id, "model", info.signature)
    requirements = runyard.pyfunc.get_model_dependencies(info.model_uri)
    with open(requirements) as f:
        assert f.read().startswith("scikit-learn==")


def test_search_logged_models(backend):
    X, y = _data()
    experiment = runyard.set_experiment("search")
    with runyard.start_run():
        first = runyard.sklearn.log_model(LinearRegression().fit(X, y), name="linear")
        second = runyard.sklearn.log_model(RandomForestRegressor(n_estimators=3).fit(X, y), name="forest")
    found = runyard.search_logged_models(output_format="list")
    assert [m.model_id for m in found] == [second.model_id, first.model_id]
    by_name = runyard.search_logged_models(experiment_ids=[experiment.experiment_id],
                                           filter_string="name = 'forest'", output_format="list")
    assert [m.model_id for m in by_name] == [second.model_id]
    oldest_first = runyard.search_logged_models(order_by=[{"field_name": "creation_time", "ascending": True}],
                                                output_format="list", max_results=1)
    assert [m.name for m in oldest_first] == ["linear"]
    frame = runyard.search_logged_models()
    assert list(frame["name"]) == ["forest", "linear"]
    assert {"model_id", "artifact_location", "status", "params", "tags", "metrics"} <= set(frame.columns)
    forest = runyard.pyfunc.load_model(f"models:/{second.model_id}")
    assert forest.predict(X).shape == (40,)


def test_log_model_without_a_run_and_by_positional_name(tracking):
    X, y = _data()
    runyard.set_experiment("no-run")
    info = runyard.sklearn.log_model(LinearRegression().fit(X, y), "positional")
    assert info.run_id is None and info.name == "positional"
    assert runyard.get_logged_model(info.model_id).source_run_id is None
    assert runyard.active_run() is None
    np.testing.assert_allclose(runyard.pyfunc.load_model(info.model_uri).predict(X), y, atol=1e-9)


def test_failed_upload_marks_the_model(tracking):
    def broken_flavor(path, mlflow_model, **kwargs):
        os.makedirs(path)
        raise RuntimeError("disk full")

    with runyard.start_run():
        with pytest.raises(RuntimeError, match="disk full"):
            log_with_flavor(broken_flavor, "broken")
    [model] = runyard.search_logged_models(output_format="list")
    assert (model.name, model.status) == ("broken", LoggedModelStatus.UPLOAD_FAILED)


def test_uri_errors(tracking):
    # Registry forms resolve through the model registry (tests/registry): unknown names are errors.
    with pytest.raises(ResourceDoesNotExist, match="my-model"):
        runyard.pyfunc.load_model("models:/my-model/1")
    with pytest.raises(ResourceDoesNotExist, match="my-model"):
        runyard.pyfunc.load_model("models:/my-model@champion")
    with pytest.raises(ResourceDoesNotExist):
        runyard.pyfunc.load_model("models:/m-0123456789abcdef0123456789abcdef")
    with runyard.start_run() as run:
        pass
    with pytest.raises(ResourceDoesNotExist, match="no logged model named 'model'"):
        runyard.pyfunc.load_model(f"runs:/{run.info.run_id}/model")


def test_runs_uri_prefers_run_artifacts(tracking, tmp_path):
    X, y = _data()
    model = LinearRegression().fit(X, y)
    runyard.sklearn.save_model(model, tmp_path / "saved")
    with runyard.start_run() as run:
        runyard.log_artifacts(str(tmp_path / "saved"), "classic")
    loaded = runyard.sklearn.load_model(f"runs:/{run.info.run_id}/classic")
    np.testing.assert_allclose(loaded.coef_, model.coef_)
    copy = runyard.pyfunc.load_model(f"runs:/{run.info.run_id}/classic", dst_path=str(tmp_path / "copy"))
    assert (tmp_path / "copy" / "classic" / "MLmodel").exists()
    np.testing.assert_allclose(copy.predict(X), model.predict(X))


class Offset(runyard.pyfunc.PythonModel):
    def load_context(self, context):
        with open(context.artifacts["offset"]) as f:
            self.offset = json.load(f)

    def predict(self, context, model_input, params=None):
        return model_input["a"] + self.offset + (params or {}).get("extra", 0)


def test_custom_model_with_run_artifact(backend, tmp_path):
    (tmp_path / "offset.json").write_text("10")
    with runyard.start_run() as run:
        runyard.log_artifact(str(tmp_path / "offset.json"))
        info = runyard.pyfunc.log_model(name="offset", python_model=Offset(),
                                        artifacts={"offset": f"runs:/{run.info.run_id}/offset.json"},
                                        input_example=(pd.DataFrame({"a": [1.0]}), {"extra": 0}))
    model = runyard.pyfunc.load_model(f"runs:/{run.info.run_id}/offset")
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    assert model.predict(frame).tolist() == [11.0, 12.0]
    assert model.predict(frame, params={"extra": 5}).tolist() == [16.0, 17.0]
    assert info.signature.params.params[0].name == "extra"
    assert isinstance(model.unwrap_python_model(), Offset)


def test_s3_artifact_location(tracking, s3_bucket):
    X, y = _data()
    model = LinearRegression().fit(X, y)
    experiment_id = runyard.create_experiment("on-s3", artifact_location=s3_bucket)
    with runyard.start_run(experiment_id=experiment_id):
        info = runyard.sklearn.log_model(model, name="model")
    assert info.artifact_path.startswith(s3_bucket + "/models/")
    for uri in (info.model_uri, info.artifact_path):
        np.testing.assert_allclose(runyard.pyfunc.load_model(uri).predict(X), model.predict(X))


def test_log_model_timing(tracking):
    """Not an assertion: prints how long log_model of a LinearRegression takes (see bench/)."""
    X, y = _data()
    model = LinearRegression().fit(X, y)
    with runyard.start_run():
        runyard.sklearn.log_model(model, name="warm-up")
        started = time.perf_counter()
        for index in range(5):
            runyard.sklearn.log_model(model, name=f"timed-{index}", input_example=X[:5])
        elapsed = (time.perf_counter() - started) / 5
    print(f"\nrunyard.sklearn.log_model(LinearRegression, input_example): {elapsed * 1000:.1f} ms per call")
