"""Regressor evaluation: every default metric equals scikit-learn's value, logged to the run, with
a residuals plot."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn import metrics as skm

import runyard
from runyard.errors import InvalidParameterValue
from tests.evaluation.conftest import PNG_MAGIC, artifact_files

REGRESSOR_KEYS = {"example_count", "mean_absolute_error", "mean_squared_error", "root_mean_squared_error",
                  "sum_on_target", "mean_on_target", "r2_score", "max_error", "mean_absolute_percentage_error"}


def _expected(y, predicted) -> dict[str, float]:
    return {
        "example_count": len(y),
        "mean_absolute_error": skm.mean_absolute_error(y, predicted),
        "mean_squared_error": skm.mean_squared_error(y, predicted),
        "root_mean_squared_error": float(np.sqrt(skm.mean_squared_error(y, predicted))),
        "sum_on_target": float(np.sum(y)),
        "mean_on_target": float(np.mean(y)),
        "r2_score": skm.r2_score(y, predicted),
        "max_error": skm.max_error(y, predicted),
        "mean_absolute_percentage_error": skm.mean_absolute_percentage_error(y, predicted),
    }


def test_logged_sklearn_regressor(tracking, diabetes):
    with runyard.start_run() as run:
        info = runyard.sklearn.log_model(diabetes.model, name="model")
        result = runyard.models.evaluate(info.model_uri, diabetes.frame, targets="target", model_type="regressor",
                                         evaluators=["default"])
    expected = _expected(diabetes.y, diabetes.model.predict(diabetes.X))
    expected["score"] = diabetes.model.score(diabetes.X, diabetes.y)
    assert set(result.metrics) == set(expected)
    for key, value in expected.items():
        assert result.metrics[key] == pytest.approx(value, rel=1e-12), key
        assert isinstance(result.metrics[key], (int, float)), key
    assert result.run_id == run.info.run_id
    logged = runyard.get_run(run.info.run_id).data.metrics
    assert logged == pytest.approx({k: float(v) for k, v in expected.items()})

    files = artifact_files(run.info.run_id)
    assert files["residuals_plot.png"].startswith(PNG_MAGIC)
    artifact = result.artifacts["residuals_plot"]
    assert artifact.uri.endswith("residuals_plot.png")
    assert artifact.uri.startswith(run.info.artifact_uri)
    assert isinstance(artifact.content, Image.Image)
    assert Image.open(io.BytesIO(files["residuals_plot.png"])).size == artifact.content.size


def test_numpy_data_and_a_plain_function(tracking, diabetes):
    X, y = diabetes.X.to_numpy(), diabetes.y.to_numpy()
    columns = diabetes.X.columns
    result = runyard.models.evaluate(lambda rows: diabetes.model.predict(pd.DataFrame(rows, columns=columns)), X,
                                     targets=y, model_type="regressor")
    # a plain function has no estimator behind it: no `score`
    assert set(result.metrics) == REGRESSOR_KEYS
    for key, value in _expected(y, diabetes.model.predict(diabetes.X)).items():
        assert result.metrics[key] == pytest.approx(value, rel=1e-12), key


def test_list_data_with_a_list_of_targets(tracking):
    data = [[0.0], [1.0], [2.0], [3.0]]
    result = runyard.models.evaluate(lambda rows: np.asarray(rows)[:, 0] * 2, data, targets=[1.0, 2.0, 4.0, 6.0],
                                     model_type="regressor")
    assert result.metrics["max_error"] == 1.0
    assert result.metrics["sum_on_target"] == 13.0
    assert result.metrics["example_count"] == 4


def test_metric_prefix_names_metrics_and_files(tracking, diabetes):
    result = runyard.models.evaluate(diabetes.model.predict, diabetes.frame, targets="target",
                                     model_type="regressor", evaluator_config={"metric_prefix": "val_"})
    assert set(result.metrics) == {f"val_{key}" for key in REGRESSOR_KEYS}
    assert set(runyard.get_run(result.run_id).data.metrics) == set(result.metrics)
    assert "val_residuals_plot.png" in artifact_files(result.run_id)
    assert result.artifacts["residuals_plot"].uri.endswith("val_residuals_plot.png")


def test_non_numeric_targets_are_refused(tracking):
    with pytest.raises(InvalidParameterValue, match="targets"):
        runyard.models.evaluate(lambda rows: np.zeros(len(rows)), [[1.0], [2.0]], targets=["a", "b"],
                                model_type="regressor")
    assert runyard.active_run() is None


def test_non_numeric_predictions_are_refused(tracking):
    with pytest.raises(InvalidParameterValue, match="predictions"):
        runyard.models.evaluate(lambda rows: np.array(["x"] * len(rows)), [[1.0], [2.0]], targets=[1.0, 2.0],
                                model_type="regressor")
