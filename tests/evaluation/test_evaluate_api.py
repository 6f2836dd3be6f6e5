"""runyard.models.evaluate's surface: model URIs from the registry, runs, dataset inputs, custom
metrics and artifacts, results saved and loaded, the deprecated runyard.evaluate, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

import runyard
import runyard.evaluation
from runyard.errors import InvalidParameterValue
from runyard.evaluation import EvaluationResult, MetricValue
from runyard.models import make_metric


@pytest.fixture
def registered(tracking, diabetes):
    with runyard.start_run():
        info = runyard.sklearn.log_model(diabetes.model, name="model", registered_model_name="HousingPricePredictor")
    client = runyard.MlflowClient()
    with pytest.warns(FutureWarning):
        client.transition_model_version_stage("HousingPricePredictor", "1", "Production")
    client.set_registered_model_alias("HousingPricePredictor", "champion", "1")
    return info


@pytest.mark.parametrize("uri", ["models:/HousingPricePredictor/Production", "models:/HousingPricePredictor@champion",
                                 "models:/HousingPricePredictor/1"])
def test_registry_uris(registered, diabetes, uri):
    result = runyard.models.evaluate(uri, data=diabetes.X, targets=diabetes.y.to_numpy(), model_type="regressor",
                                     evaluators=["default"])
    predicted = diabetes.model.predict(diabetes.X)
    assert result.metrics["root_mean_squared_error"] == pytest.approx(np.sqrt(skm.mean_squared_error(diabetes.y,
                                                                                                     predicted)))
    assert result.metrics["score"] == pytest.approx(diabetes.model.score(diabetes.X, diabetes.y))


def test_logged_model_id_uri_links_metrics_to_the_model(registered, diabetes):
    result = runyard.models.evaluate(f"models:/{registered.model_id}", diabetes.frame, targets="target",
                                     model_type="regressor")
    points = {point.key: point for point in runyard.get_logged_model(registered.model_id).metrics}
    assert points["r2_score"].value == result.metrics["r2_score"]
    assert points["r2_score"].run_id == result.run_id
    assert points["r2_score"].dataset_name == "dataset"


def test_a_loaded_pyfunc_model(registered, diabetes):
    loaded = runyard.pyfunc.load_model(registered.model_uri)
    result = runyard.models.evaluate(loaded, diabetes.frame, targets="target", model_type="regressor")
    assert result.metrics["score"] == pytest.approx(diabetes.model.score(diabetes.X, diabetes.y))


def test_active_run_is_used_and_left_open(tracking, diabetes):
    with runyard.start_run() as run:
        result = runyard.models.evaluate(diabetes.model.predict, diabetes.frame, targets="target",
                                         model_type="regressor")
        assert result.run_id == run.info.run_id
        assert runyard.active_run().info.run_id == run.info.run_id
    assert "r2_score" in runyard.get_run(run.info.run_id).data.metrics


def test_new_run_is_started_and_ended(tracking, diabetes):
    result = runyard.models.evaluate(diabetes.model.predict, diabetes.frame, targets="target", model_type="regressor")
    assert runyard.active_run() is None
    run = runyard.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.metrics["example_count"] == len(diabetes.y)


def test_evaluation_dataset_is_a_run_input(tracking, diabetes):
    result = runyard.models.evaluate(diabetes.model.predict, diabetes.frame, targets="target", model_type="regressor")
    inputs = runyard.get_run(result.run_id).inputs.dataset_inputs
    assert len(inputs) == 1
    dataset = inputs[0].dataset
    assert dataset.name == "dataset" and dataset.source_type == "code" and len(dataset.digest) == 8
    assert json.loads(dataset.profile) == {"num_rows": len(diabetes.frame), "num_elements": diabetes.frame.size}
    columns = [spec["name"] for spec in json.loads(dataset.schema)["mlflow_colspec"]]
    assert columns == list(diabetes.frame.columns)


def test_deprecated_top_level_evaluate_warns(tracking, diabetes):
    with pytest.warns(FutureWarning, match=r"runyard\.models\.evaluate"):
        result = runyard.evaluate(diabetes.model.predict, diabetes.frame, targets="target", model_type="regressor")
    assert result.metrics["example_count"] == len(diabetes.y)
    assert runyard.models.evaluate is runyard.evaluation.evaluate
    assert runyard.models.EvaluationResult is EvaluationResult


def test_extra_metrics_and_custom_artifacts(tracking, iris, tmp_path):
    def hits(predictions, targets, metrics):
        assert isinstance(metrics["accuracy_score"], MetricValue)
        return MetricValue(scores=list((predictions == targets).astype(float)),
                           aggregate_results={"mean": float(np.mean(predictions == targets)), "count": 150.0})

    def twice_accuracy(predictions, targets, metrics):
        return 2 * metrics["accuracy_score"].aggregate_results["accuracy_score"]

    note = tmp_path / "note.txt"
    note.write_text("hello")

    def artifacts(eval_df, builtin_metrics, artifacts_dir):
        assert list(eval_df.columns) == ["prediction", "target"]
        return {"summary": {"accuracy": builtin_metrics["accuracy_score"].aggregate_results["accuracy_score"]},
                "table": pd.DataFrame({"x": [1, 2]}), "note": str(note)}

    result = runyard.models.evaluate(
        iris.model.predict, iris.frame, targets="label", model_type="classifier", custom_artifacts=[artifacts],
        extra_metrics=[make_metric(eval_fn=hits, greater_is_better=True),
                       make_metric(eval_fn=twice_accuracy, greater_is_better=True, name="double")])
    accuracy = skm.accuracy_score(iris.y, iris.model.predict(iris.X))
    assert result.metrics["hits/mean"] == pytest.approx(accuracy)
    assert result.metrics["hits/count"] == 150.0
    assert result.metrics["double"] == pytest.approx(2 * accuracy)
    assert runyard.get_run(result.run_id).data.metrics["double"] == pytest.approx(2 * accuracy)
    assert result.artifacts["summary"].content == {"accuracy": accuracy}
    assert result.artifacts["summary"].uri.endswith("summary.json")
    assert list(result.artifacts["table"].content.x) == [1, 2]
    assert result.artifacts["note"].uri.endswith("note.txt")
    table = result.artifacts["eval_results_table"].content
    assert table["columns"][-3:] == ["label", "outputs", "hits/score"]
    assert len(table["data"]) == 150


def test_make_metric_needs_a_name_for_a_lambda():
    with pytest.raises(InvalidParameterValue, match="name"):
        make_metric(eval_fn=lambda predictions, targets: 1.0, greater_is_better=True)


def test_result_save_and_load(tracking, cancer, tmp_path):
    result = runyard.models.evaluate(cancer.model, cancer.frame, targets="label", model_type="classifier")
    result.save(tmp_path / "saved")
    assert (tmp_path / "saved" / "artifacts" / "confusion_matrix.png").is_file()
    loaded = EvaluationResult.load(tmp_path / "saved")
    assert loaded.metrics == result.metrics
    assert set(loaded.artifacts) == set(result.artifacts)
    assert loaded.artifacts["roc_curve_plot"].content.size == result.artifacts["roc_curve_plot"].content.size


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"model_type": "text"}, "model_type"),
    ({"model_type": None}, "model_type"),
    ({"targets": "price"}, "targets"),
    ({"targets": None}, "targets"),
    ({"evaluators": ["shap"]}, "evaluators"),
    ({"env_manager": "conda"}, "env_manager"),
    ({"feature_names": ["nope"]}, "feature_names"),
    ({"predictions": "target"}, "predictions"),
    ({"evaluator_config": {"average": "sideways"}}, "average"),
])
def test_bad_arguments_name_the_field(tracking, diabetes, kwargs, field):
    arguments = {"model": diabetes.model.predict, "data": diabetes.frame, "targets": "target",
                 "model_type": "regressor", **kwargs}
    with pytest.raises(InvalidParameterValue, match=field):
        runyard.models.evaluate(**arguments)
    assert runyard.active_run() is None


def test_bad_data_is_refused(tracking, diabetes):
    X, y = diabetes.X.to_numpy(), diabetes.y.to_numpy()
    with pytest.raises(InvalidParameterValue, match="targets"):
        runyard.models.evaluate(diabetes.model.predict, X, targets=y[:10], model_type="regressor")
    with pytest.raises(InvalidParameterValue, match="data"):
        runyard.models.evaluate(diabetes.model.predict, None, targets=y, model_type="regressor")
    with pytest.raises(InvalidParameterValue, match="predictions"):
        runyard.models.evaluate(None, diabetes.frame, targets="target", model_type="regressor")
    with pytest.raises(InvalidParameterValue, match="model"):
        runyard.models.evaluate(42, diabetes.frame, targets="target", model_type="regressor")
    with pytest.raises(InvalidParameterValue, match="predictions"):
        runyard.models.evaluate(lambda rows: np.zeros(3), X, targets=y, model_type="regressor")


def test_scikit_learn_is_required():
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "import runyard\n"
            "from runyard.errors import RunyardException\n"
            "try:\n"
            "    runyard.models.evaluate(lambda rows: rows, [[1.0]], targets=[1.0], model_type='regressor')\n"
            "except RunyardException as error:\n"
            "    print(type(error).__name__, error)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert "scikit-learn" in done.stdout


def test_metric_types_where_mlflow_keeps_them():
    from runyard.metrics.base import MetricValue as BaseMetricValue

    assert BaseMetricValue is MetricValue
    assert runyard.metrics.make_metric is make_metric
    assert runyard.models.EvaluationMetric is runyard.metrics.EvaluationMetric
    metric = runyard.metrics.make_metric(eval_fn=test_metric_types_where_mlflow_keeps_them, greater_is_better=False)
    assert metric.name == "test_metric_types_where_mlflow_keeps_them" and metric.greater_is_better is False
