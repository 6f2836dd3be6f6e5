"""XGBoost and LightGBM autologging: native ``train`` with evaluation sets (a metric history per
iteration), the scikit-learn API models, feature importances, the model, and the switches."""

from __future__ import annotations

import json
import warnings

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

import runyard
from runyard.autologging import AutologgingWarning, patching


def _data():
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(150, 4)), columns=["a", "b", "c", "d"])
    return X, ((X.a + 0.5 * X.b) > 0).astype(int).to_numpy()


def _only_run():
    client = runyard.MlflowClient()
    (run,) = client.search_runs(["0"])
    return run


def _history(run, key):
    return [(m.step, m.value) for m in runyard.MlflowClient().get_metric_history(run.info.run_id, key)]


def _artifact_json(run, path):
    return json.loads(runyard.artifacts.load_text(f"{run.info.artifact_uri}/{path}"))


def test_xgboost_train_logs_a_metric_history_per_iteration(tracking):
    runyard.xgboost.autolog()
    X, y = _data()
    train, valid = xgb.DMatrix(X[:100], label=y[:100]), xgb.DMatrix(X[100:], label=y[100:])
    evals_result: dict = {}
    callbacks: list = []
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 2, "eval_metric": "logloss"}, train,
                        num_boost_round=6, evals=[(train, "train"), (valid, "valid")], evals_result=evals_result,
                        verbose_eval=False, callbacks=callbacks)
    assert callbacks == []  # the caller's list is not changed
    run = _only_run()
    assert run.data.tags["mlflow.autologging"] == "xgboost" and run.info.status == "FINISHED"
    assert run.data.params["max_depth"] == "2" and run.data.params["num_boost_round"] == "6"
    assert "dtrain" not in run.data.params and "callbacks" not in run.data.params
    for data in ("train", "valid"):
        history = _history(run, f"{data}-logloss")
        assert [step for step, _ in history] == list(range(6))
        np.testing.assert_allclose([v for _, v in history], evals_result[data]["logloss"])
    importance = _artifact_json(run, "feature_importance_weight.json")
    assert importance == pytest.approx(booster.get_score(importance_type="weight"))
    loaded = runyard.xgboost.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_allclose(loaded.predict(xgb.DMatrix(X)), booster.predict(xgb.DMatrix(X)))
    model = runyard.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert model.metadata.get_input_schema().input_names() == ["a", "b", "c", "d"]
    np.testing.assert_allclose(model.predict(X), booster.predict(xgb.DMatrix(X)), rtol=1e-6)


def test_xgboost_train_on_unnamed_features_gets_a_tensor_signature(tracking):
    runyard.xgboost.autolog()
    X, y = _data()
    array = X.to_numpy()
    booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(array, label=y), num_boost_round=3)
    model = runyard.pyfunc.load_model(f"runs:/{_only_run().info.run_id}/model")
    assert model.metadata.get_input_schema().is_tensor_spec()
    np.testing.assert_allclose(model.predict(array), booster.predict(xgb.DMatrix(array)))


def test_xgboost_early_stopping_and_importance_types(tracking):
    runyard.xgboost.autolog(importance_types=["gain", "cover"])
    X, y = _data()
    train, valid = xgb.DMatrix(X[:100], label=y[:100]), xgb.DMatrix(X[100:], label=y[100:])
    booster = xgb.train({"objective": "binary:logistic", "eta": 1.0}, train, num_boost_round=200,
                        evals=[(valid, "valid")], early_stopping_rounds=3, verbose_eval=False)
    run = _only_run()
    assert run.data.metrics["best_iteration"] == booster.best_iteration
    assert run.data.metrics["stopped_iteration"] == booster.num_boosted_rounds() - 1 < 199
    artifacts = {f.path for f in runyard.MlflowClient().list_artifacts(run.info.run_id)}
    assert artifacts == {"feature_importance_gain.json", "feature_importance_cover.json"}


def test_xgboost_sklearn_api_is_one_run(tracking):
    runyard.xgboost.autolog(log_input_examples=True)
    X, y = _data()
    model = xgb.XGBClassifier(n_estimators=5, max_depth=2).fit(X, y, eval_set=[(X, y)], verbose=False)
    run = _only_run()  # the xgboost.train inside fit logs nothing of its own
    assert run.data.params["num_boost_round"] == "5" and run.data.params["max_depth"] == "2"
    history = _history(run, "validation_0-logloss")
    np.testing.assert_allclose([v for _, v in history], model.evals_result()["validation_0"]["logloss"])
    assert len(run.inputs.dataset_inputs) == 1
    loaded = runyard.xgboost.load_model(f"runs:/{run.info.run_id}/model")
    assert isinstance(loaded, xgb.XGBClassifier)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert runyard.pyfunc.load_model(f"runs:/{run.info.run_id}/model").input_example.shape == (5, 4)


def test_xgboost_disable_restores_train(tracking):
    original = patching.original_function(xgb.train)
    runyard.xgboost.autolog()
    runyard.xgboost.autolog(disable=True)
    assert xgb.train is original and "fit" not in xgb.XGBClassifier.__dict__ or not patching.is_patched(
        xgb.XGBClassifier, "fit")
    X, y = _data()
    xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(X, label=y), num_boost_round=2)
    assert runyard.MlflowClient().search_runs(["0"]) == []


def test_lightgbm_train_logs_a_metric_history_per_iteration(tracking):
    runyard.lightgbm.autolog()
    X, y = _data()
    train = lgb.Dataset(X[:100], label=y[:100])
    valid = lgb.Dataset(X[100:], label=y[100:], reference=train)
    record: dict = {}
    booster = lgb.train({"objective": "binary", "verbose": -1, "min_data_in_leaf": 5}, train, num_boost_round=5,
                        valid_sets=[train, valid], valid_names=["train", "valid"],
                        callbacks=[lgb.record_evaluation(record)])
    run = _only_run()
    assert run.data.tags["mlflow.autologging"] == "lightgbm"
    assert run.data.params["objective"] == "binary" and run.data.params["num_boost_round"] == "5"
    for data in ("train", "valid"):
        history = _history(run, f"{data}-binary_logloss")
        assert [step for step, _ in history] == list(range(5))
        np.testing.assert_allclose([v for _, v in history], record[data]["binary_logloss"])
    split = _artifact_json(run, "feature_importance_split.json")
    assert split == dict(zip(booster.feature_name(), booster.feature_importance("split").tolist()))
    assert set(_artifact_json(run, "feature_importance_gain.json")) == {"a", "b", "c", "d"}
    (dataset_input,) = run.inputs.dataset_inputs
    assert json.loads(dataset_input.dataset.profile)["features_shape"] == [100, 4]
    loaded = runyard.lightgbm.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_allclose(loaded.predict(X), booster.predict(X))
    model = runyard.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert model.metadata.get_input_schema().input_names() == ["a", "b", "c", "d"]


def test_lightgbm_early_stopping(tracking):
    runyard.lightgbm.autolog(log_models=False)
    X, y = _data()
    train = lgb.Dataset(X[:100], label=y[:100])
    valid = lgb.Dataset(X[100:], label=y[100:], reference=train)
    booster = lgb.train({"objective": "binary", "verbose": -1, "learning_rate": 0.5, "min_data_in_leaf": 5}, train,
                        num_boost_round=300, valid_sets=[valid], callbacks=[lgb.early_stopping(3, verbose=False)])
    run = _only_run()
    assert run.data.metrics["best_iteration"] == booster.best_iteration
    assert run.outputs.model_outputs == ()


def test_lightgbm_classifier_is_one_run(tracking):
    runyard.lightgbm.autolog()
    X, y = _data()
    model = lgb.LGBMClassifier(n_estimators=4, min_child_samples=5, verbose=-1).fit(X, y, eval_X=(X,), eval_y=(y,))
    run = _only_run()  # the lightgbm.train inside fit logs nothing of its own
    assert run.data.params["n_estimators"] == "4"
    history = _history(run, "valid_0-binary_logloss")
    np.testing.assert_allclose([v for _, v in history], model.evals_result_["valid_0"]["binary_logloss"])
    loaded = runyard.lightgbm.load_model(f"runs:/{run.info.run_id}/model")
    assert isinstance(loaded, lgb.LGBMClassifier)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_lightgbm_failure_warns_and_returns_the_booster(tracking):
    runyard.lightgbm.autolog()
    experiment = runyard.set_experiment("deleted")
    runyard.delete_experiment(experiment.experiment_id)
    X, y = _data()
    with pytest.warns(AutologgingWarning, match="could not start a run"):
        booster = lgb.train({"objective": "binary", "verbose": -1}, lgb.Dataset(X, label=y), num_boost_round=2)
    assert booster.current_iteration() == 2


def test_a_failure_inside_the_training_loop_warns_and_training_completes(tracking):
    runyard.xgboost.autolog(log_models=False)
    X, y = _data()
    train = xgb.DMatrix(X, label=y)

    class DeleteTheRun(xgb.callback.TrainingCallback):
        """Deletes the autolog run mid-training, so that writing the metric points fails."""

        def after_iteration(self, model, epoch, evals_log):
            if epoch == 10:
                runyard.MlflowClient().delete_run(runyard.active_run().info.run_id)
            return False

    # 2 metrics x 600 rounds: the buffer writes its first 1,000 points inside the training loop.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        booster = xgb.train({"objective": "binary:logistic", "max_depth": 1}, train, num_boost_round=600,
                            evals=[(train, "a"), (train, "b")], verbose_eval=False, callbacks=[DeleteTheRun()])
    assert booster.num_boosted_rounds() == 600
    messages = [str(w.message) for w in caught if w.category is AutologgingWarning]
    assert any("could not log per-iteration metrics" in m and "deleted" in m for m in messages), messages
    assert all(w.category is AutologgingWarning for w in caught)
