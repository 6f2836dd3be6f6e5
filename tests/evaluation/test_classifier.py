"""Classifier evaluation, binary and multiclass: every default metric equals scikit-learn's value;
plots and the per-class table are real files in the run."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

import runyard
from tests.evaluation.conftest import PNG_MAGIC, artifact_files

BINARY_PLOTS = {"confusion_matrix", "roc_curve_plot", "precision_recall_curve_plot", "lift_curve_plot",
                "calibration_curve_plot"}
PER_CLASS_COLUMNS = ["positive_class", "true_negatives", "false_positives", "false_negatives", "true_positives",
                     "example_count", "accuracy_score", "recall_score", "precision_score", "f1_score"]


def _check(result, expected: dict[str, float]) -> None:
    assert set(result.metrics) == set(expected)
    for key, value in expected.items():
        assert result.metrics[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key


def test_binary_classifier_with_probabilities(tracking, cancer):
    with runyard.start_run() as run:
        info = runyard.sklearn.log_model(cancer.model, name="model")
        result = runyard.models.evaluate(info.model_uri, cancer.frame, targets="label", model_type="classifier")
    y, predicted = cancer.y, cancer.model.predict(cancer.X)
    positive = cancer.model.predict_proba(cancer.X)[:, 1]
    tn, fp, fn, tp = skm.confusion_matrix(y, predicted).ravel()
    _check(result, {
        "true_negatives": tn, "false_positives": fp, "false_negatives": fn, "true_positives": tp,
        "example_count": len(y), "accuracy_score": skm.accuracy_score(y, predicted),
        "recall_score": skm.recall_score(y, predicted), "precision_score": skm.precision_score(y, predicted),
        "f1_score": skm.f1_score(y, predicted), "log_loss": skm.log_loss(y, positive),
        "roc_auc": skm.roc_auc_score(y, positive), "precision_recall_auc": skm.average_precision_score(y, positive),
        "score": cancer.model.score(cancer.X, y),
    })
    assert isinstance(result.metrics["true_positives"], int)
    assert set(result.artifacts) == BINARY_PLOTS
    files = artifact_files(run.info.run_id)
    for name in BINARY_PLOTS:
        assert files[f"{name}.png"].startswith(PNG_MAGIC), name
        assert result.artifacts[name].uri.endswith(f"/{name}.png")


def test_binary_classifier_without_probabilities(tracking, cancer):
    X, y = cancer.X.to_numpy(), cancer.y.to_numpy()
    result = runyard.models.evaluate(lambda rows: cancer.model.predict(pd.DataFrame(rows, columns=cancer.X.columns)),
                                     X, targets=y, model_type="classifier")
    predicted = cancer.model.predict(cancer.X)
    tn, fp, fn, tp = skm.confusion_matrix(y, predicted).ravel()
    _check(result, {
        "true_negatives": tn, "false_positives": fp, "false_negatives": fn, "true_positives": tp,
        "example_count": len(y), "accuracy_score": skm.accuracy_score(y, predicted),
        "recall_score": skm.recall_score(y, predicted), "precision_score": skm.precision_score(y, predicted),
        "f1_score": skm.f1_score(y, predicted),
    })
    assert set(result.artifacts) == {"confusion_matrix"}


def test_string_labels_with_pos_label(tracking):
    targets = ["spam", "ham", "spam", "ham", "spam", "ham"]
    predictions = ["spam", "spam", "ham", "ham", "spam", "ham"]
    frame = pd.DataFrame({"x": range(6), "truth": targets, "guess": predictions})
    result = runyard.models.evaluate(data=frame, targets="truth", predictions="guess", model_type="classifier",
                                     evaluator_config={"pos_label": "ham"})
    assert result.metrics["recall_score"] == skm.recall_score(targets, predictions, pos_label="ham")
    assert result.metrics["precision_score"] == skm.precision_score(targets, predictions, pos_label="ham")
    # "ham" is the positive class: two of three hams found, one spam called ham
    assert (result.metrics["true_positives"], result.metrics["false_positives"]) == (2, 1)


def test_multiclass_classifier(tracking, iris):
    with runyard.start_run() as run:
        info = runyard.sklearn.log_model(iris.model, name="model")
        result = runyard.models.evaluate(info.model_uri, iris.frame, targets="label", model_type="classifier")
    y, predicted = iris.y, iris.model.predict(iris.X)
    proba = iris.model.predict_proba(iris.X)
    _check(result, {
        "example_count": len(y), "accuracy_score": skm.accuracy_score(y, predicted),
        "recall_score": skm.recall_score(y, predicted, average="weighted"),
        "precision_score": skm.precision_score(y, predicted, average="weighted"),
        "f1_score": skm.f1_score(y, predicted, average="weighted"), "log_loss": skm.log_loss(y, proba),
        "roc_auc": skm.roc_auc_score(y, proba, multi_class="ovr", average="weighted"),
        "score": iris.model.score(iris.X, y),
    })
    assert set(result.artifacts) == {"confusion_matrix", "roc_curve_plot", "precision_recall_curve_plot",
                                     "calibration_curve_plot", "per_class_metrics"}
    files = artifact_files(run.info.run_id)
    assert files["confusion_matrix.png"].startswith(PNG_MAGIC)
    table = pd.read_csv(io.BytesIO(files["per_class_metrics.csv"]))
    assert list(table.columns) == PER_CLASS_COLUMNS + ["roc_auc", "precision_recall_auc"]
    assert list(table.positive_class) == [0, 1, 2]
    for row in table.itertuples():
        truth, guess = y == row.positive_class, predicted == row.positive_class
        assert row.recall_score == pytest.approx(skm.recall_score(truth, guess))
        assert row.precision_score == pytest.approx(skm.precision_score(truth, guess))
        assert row.roc_auc == pytest.approx(skm.roc_auc_score(truth, proba[:, row.positive_class]))
        assert row.true_positives == int(np.sum(truth & guess))
    pd.testing.assert_frame_equal(result.artifacts["per_class_metrics"].content, table)


def test_multiclass_average_from_evaluator_config(tracking, iris):
    predicted = iris.model.predict(iris.X)
    result = runyard.models.evaluate(iris.model.predict, iris.frame, targets="label", model_type="classifier",
                                     evaluator_config={"average": "macro"})
    assert result.metrics["precision_score"] == pytest.approx(skm.precision_score(iris.y, predicted, average="macro"))
    assert result.metrics["f1_score"] == pytest.approx(skm.f1_score(iris.y, predicted, average="macro"))
    assert "log_loss" not in result.metrics  # a bare function gives labels, not probabilities
    table = result.artifacts["per_class_metrics"].content
    assert list(table.columns) == PER_CLASS_COLUMNS


def test_predictions_column_without_a_model(tracking, iris):
    frame = iris.frame.assign(guess=iris.model.predict(iris.X))
    result = runyard.models.evaluate(data=frame, targets="label", predictions="guess", model_type="classifier")
    assert result.metrics["accuracy_score"] == skm.accuracy_score(iris.y, frame.guess)
    assert set(result.metrics) == {"example_count", "accuracy_score", "recall_score", "precision_score", "f1_score"}
    assert set(result.artifacts) == {"confusion_matrix", "per_class_metrics"}
