"""scikit-learn autologging: params, training metrics under MLflow's names, tags, the model, one run
per Pipeline, search CV child runs, and the switches (disable, log_models, exclusive, failures)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, mean_squared_error, r2_score
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import runyard
from runyard.autologging import AutologgingWarning, patching

CLASSIFIER_METRICS = {"training_accuracy_score", "training_precision_score", "training_recall_score",
                      "training_f1_score", "training_log_loss", "training_roc_auc", "training_score"}
REGRESSOR_METRICS = {"training_mean_squared_error", "training_root_mean_squared_error",
                     "training_mean_absolute_error", "training_r2_score", "training_score"}


def _regression():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    return X, X.to_numpy() @ np.array([1.5, -2.0, 0.5]) + rng.normal(scale=0.1, size=60)


def _iris():
    return load_iris(return_X_y=True)


def _runs():
    client = runyard.MlflowClient()
    return client.search_runs([e.experiment_id for e in client.search_experiments()])


def _only_run():
    (run,) = _runs()
    return run


def test_linear_regression(tracking):
    runyard.sklearn.autolog()
    X, y = _regression()
    model = LinearRegression(fit_intercept=False)
    assert model.fit(X, y) is model
    run = _only_run()
    assert run.info.status == "FINISHED" and runyard.active_run() is None
    assert run.data.params == {k: str(v) for k, v in model.get_params(deep=True).items()}
    assert set(run.data.metrics) == REGRESSOR_METRICS
    predicted = model.predict(X)
    assert run.data.metrics["training_mean_squared_error"] == pytest.approx(mean_squared_error(y, predicted))
    assert run.data.metrics["training_root_mean_squared_error"] == pytest.approx(
        math.sqrt(mean_squared_error(y, predicted)))
    assert run.data.metrics["training_r2_score"] == pytest.approx(r2_score(y, predicted))
    tags = run.data.tags
    assert (tags["estimator_name"], tags["estimator_class"], tags["mlflow.autologging"]) == (
        "LinearRegression", "sklearn.linear_model._base.LinearRegression", "sklearn")
    (dataset_input,) = run.inputs.dataset_inputs
    assert dataset_input.dataset.name == "dataset" and dataset_input.tags[0].value == "train"
    loaded = runyard.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_allclose(loaded.predict(X), predicted)
    assert loaded.metadata.get_input_schema().input_names() == ["a", "b", "c"]


def test_logistic_regression_metrics(tracking):
    runyard.sklearn.autolog()
    X, y = _iris()
    model = LogisticRegression(max_iter=300).fit(X, y)
    run = _only_run()
    assert set(run.data.metrics) == CLASSIFIER_METRICS
    assert run.data.metrics["training_accuracy_score"] == pytest.approx(accuracy_score(y, model.predict(X)))
    assert run.data.metrics["training_score"] == pytest.approx(model.score(X, y))
    assert run.data.params["max_iter"] == "300"
    assert len(run.outputs.model_outputs) == 1


def test_binary_metrics_with_pos_label(tracking):
    runyard.sklearn.autolog(pos_label=1)
    X, y = _iris()
    X, y = X[y < 2], y[y < 2]
    LogisticRegression(max_iter=300).fit(X, y)
    assert set(_only_run().data.metrics) == CLASSIFIER_METRICS


def test_random_forest_model_loads_with_default_arguments(tracking):
    runyard.sklearn.autolog(log_input_examples=True)
    X, y = _iris()
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    run = _only_run()
    assert run.data.params["n_estimators"] == "5"
    loaded = runyard.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_array_equal(loaded.predict(X), forest.predict(X))
    pyfunc_model = runyard.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_array_equal(pyfunc_model.input_example, X[:5])


def test_a_pipeline_is_one_run_with_the_pipeline_params(tracking):
    runyard.sklearn.autolog()
    X, y = _iris()
    pipeline = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=200))]).fit(X, y)
    run = _only_run()  # the steps' own fits log nothing
    assert run.data.tags["estimator_name"] == "Pipeline"
    assert run.data.params["clf__max_iter"] == "200" and "scale__with_mean" in run.data.params
    assert set(run.data.metrics) == CLASSIFIER_METRICS
    loaded = runyard.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_array_equal(loaded.predict(X), pipeline.predict(X))


def test_preprocessing_alone_is_not_logged_but_other_fit_methods_are(tracking):
    runyard.sklearn.autolog()
    X, _ = _iris()
    StandardScaler().fit(X)
    assert _runs() == []
    PCA(n_components=2).fit_transform(X)  # fit_transform: one run
    run = _only_run()
    assert run.data.tags["estimator_name"] == "PCA" and run.data.params["n_components"] == "2"


@pytest.mark.parametrize("search_class", [GridSearchCV, RandomizedSearchCV])
def test_parameter_search_logs_child_runs(tracking, search_class):
    runyard.sklearn.autolog(max_tuning_runs=2)
    X, y = _iris()
    grid = {"C": [0.01, 1.0, 10.0]}
    kwargs = {"param_distributions": grid, "n_iter": 3, "random_state": 0} if search_class is RandomizedSearchCV \
        else {"param_grid": grid}
    search = search_class(LogisticRegression(max_iter=300), cv=3, **kwargs).fit(X, y)
    runs = _runs()
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    (parent,) = parents
    assert parent.data.params["best_C"] == str(search.best_params_["C"]) and parent.data.params["cv"] == "3"
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert CLASSIFIER_METRICS <= set(parent.data.metrics)
    client = runyard.MlflowClient()
    assert "cv_results.csv" in [f.path for f in client.list_artifacts(parent.info.run_id)]
    assert len(children) == 2
    results = search.cv_results_
    best_two = sorted(range(3), key=lambda i: (results["rank_test_score"][i], i))[:2]
    expected = {str(results["params"][i]["C"]): results["mean_test_score"][i] for i in best_two}
    for child in children:
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert child.data.tags["estimator_name"] == "LogisticRegression" and child.info.status == "FINISHED"
        assert child.data.params["max_iter"] == "300"
        assert child.data.metrics["mean_test_score"] == pytest.approx(expected[child.data.params["C"]])
        assert {"std_test_score", "rank_test_score", "mean_fit_time"} <= set(child.data.metrics)
    names = {runyard.get_logged_model(o.model_id).name for o in parent.outputs.model_outputs}
    assert names == {"model", "best_estimator"}


def test_disable_stops_logging_and_restores_fit(tracking):
    original = patching.original_function(LinearRegression.fit)
    runyard.sklearn.autolog()
    assert LinearRegression.fit is not original
    runyard.sklearn.autolog(disable=True)
    assert LinearRegression.fit is original
    X, y = _regression()
    LinearRegression().fit(X, y)
    assert _runs() == []


def test_log_models_false(tracking):
    runyard.sklearn.autolog(log_models=False, log_datasets=False)
    X, y = _regression()
    LinearRegression().fit(X, y)
    run = _only_run()
    assert run.outputs.model_outputs == () and run.inputs.dataset_inputs == ()
    assert run.data.params and run.data.metrics


def test_user_run_is_used_and_exclusive_skips_it(tracking):
    runyard.sklearn.autolog()
    X, y = _regression()
    with runyard.start_run() as run:
        LinearRegression().fit(X, y)
        assert runyard.active_run().info.run_id == run.info.run_id
    assert _only_run().data.tags["estimator_name"] == "LinearRegression"
    runyard.sklearn.autolog(exclusive=True)
    with runyard.start_run() as other:
        LinearRegression().fit(X, y)
    assert runyard.get_run(other.info.run_id).data.params == {}


def test_logging_failure_in_a_deleted_experiment_warns_and_returns_the_model(tracking):
    runyard.sklearn.autolog()
    experiment = runyard.set_experiment("deleted")
    runyard.delete_experiment(experiment.experiment_id)
    X, y = _regression()
    model = LinearRegression()
    with pytest.warns(AutologgingWarning, match="could not start a run"):
        assert model.fit(X, y) is model
    np.testing.assert_allclose(model.predict(X[:2]), model.coef_ @ X[:2].to_numpy().T + model.intercept_)


def test_an_invalid_param_warns_and_the_rest_is_still_logged(tracking):
    runyard.sklearn.autolog()
    X, y = _iris()
    with runyard.start_run() as run:
        runyard.log_param("C", "5")  # the fit's C=1.0 cannot overwrite it
        with pytest.warns(AutologgingWarning, match="could not log the params"):
            model = LogisticRegression(max_iter=300).fit(X, y)
    assert model.predict(X[:3]).shape == (3,)
    logged = runyard.get_run(run.info.run_id)
    assert logged.data.params == {"C": "5"}
    assert CLASSIFIER_METRICS == set(logged.data.metrics) and len(logged.outputs.model_outputs) == 1


def test_training_errors_propagate_and_fail_the_run(tracking):
    runyard.sklearn.autolog()
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        LinearRegression().fit(np.ones((5, 2)), np.ones(4))
    assert _only_run().info.status == "FAILED"


def test_runyard_autolog_enables_every_installed_framework(tracking):
    runyard.autolog(log_models=False, extra_tags={"source": "universal"})
    X, y = _regression()
    LinearRegression().fit(X, y)
    run = _only_run()
    assert run.data.tags["source"] == "universal" and run.outputs.model_outputs == ()
    import xgboost

    assert patching.is_patched(xgboost, "train", "xgboost")
    runyard.autolog(disable=True)
    assert not patching.is_patched(xgboost, "train") and not patching.is_patched(LinearRegression, "fit")


def test_search_autolog_through_a_runyard_server(tracking, tmp_path):
    from runyard.stores import factory
    from tests.live_server import live_server

    with live_server(f"sqlite:///{tmp_path}/server.db", str(tmp_path / "served-artifacts")) as server:
        factory.clear_cache()
        runyard.set_tracking_uri(server.url)
        runyard.sklearn.autolog(max_tuning_runs=None)
        X, y = _iris()
        search = GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.1, 1.0]}, cv=2).fit(X, y)
        runs = _runs()
        assert len(runs) == 3 and all(r.info.status == "FINISHED" for r in runs)
        (parent,) = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
        assert runyard.artifacts.load_text(f"runs:/{parent.info.run_id}/cv_results.csv").startswith("mean_fit_time")
        loaded = runyard.sklearn.load_model(f"runs:/{parent.info.run_id}/best_estimator")
        np.testing.assert_array_equal(loaded.predict(X), search.best_estimator_.predict(X))


def test_registered_model_name_registers_each_autologged_model(tracking):
    runyard.sklearn.autolog(registered_model_name="iris-classifier")
    X, y = _iris()
    for _ in range(2):
        LogisticRegression(max_iter=300).fit(X, y)
    versions = runyard.search_model_versions(filter_string="name = 'iris-classifier'", order_by=["version_number"])
    assert [v.version for v in versions] == ["1", "2"]
    runs = {r.info.run_id: r for r in _runs()}
    assert {v.run_id for v in versions} == set(runs)
    assert {v.model_id for v in versions} == {r.outputs.model_outputs[0].model_id for r in runs.values()}
    loaded = runyard.pyfunc.load_model("models:/iris-classifier/2")
    np.testing.assert_array_equal(loaded.predict(X[:5]), LogisticRegression(max_iter=300).fit(X, y).predict(X[:5]))
