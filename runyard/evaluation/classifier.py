"""Default classifier metrics (MLflow's names), binary and multiclass, computed with scikit-learn;
and the per-class table of a multiclass evaluation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from runyard.errors import InvalidParameterValue

_logger = logging.getLogger(__name__)
AVERAGES = ("binary", "micro", "macro", "weighted")


@dataclass(frozen=True)
class ClassifierEvaluation:
    """Metrics plus what the plots need: the labels, the confusion matrix, and the probabilities
    (columns in ``classes`` order) when the model gives them."""

    metrics: dict[str, float]
    labels: list[Any]
    pos_label: Any
    confusion: np.ndarray
    classes: list[Any] | None
    proba: np.ndarray | None
    per_class: pd.DataFrame | None

    @property
    def binary(self) -> bool:
        return self.pos_label is not None


def label_list(targets: np.ndarray, predictions: np.ndarray, config: dict[str, Any]) -> list[Any]:
    """``evaluator_config["label_list"]``, else the sorted labels seen in targets and predictions."""
    if config.get("label_list") is not None:
        return list(config["label_list"])
    seen = pd.unique(np.concatenate([np.asarray(targets, dtype=object), np.asarray(predictions, dtype=object)]))
    try:
        return sorted(seen.tolist())
    except TypeError:  # labels of mixed types: keep the order they appear in
        return seen.tolist()


def _counts(truth: np.ndarray, guess: np.ndarray) -> dict[str, int]:
    from sklearn.metrics import confusion_matrix  # noqa: PLC0415 - scikit-learn is optional

    tn, fp, fn, tp = confusion_matrix(truth, guess, labels=[False, True]).ravel()
    return {"true_negatives": int(tn), "false_positives": int(fp), "false_negatives": int(fn),
            "true_positives": int(tp)}


def _scores(targets: np.ndarray, predictions: np.ndarray, **options: Any) -> dict[str, float]:
    from sklearn import metrics  # noqa: PLC0415 - scikit-learn is optional

    return {"example_count": len(targets),
            "accuracy_score": float(metrics.accuracy_score(targets, predictions)),
            "recall_score": float(metrics.recall_score(targets, predictions, zero_division=0, **options)),
            "precision_score": float(metrics.precision_score(targets, predictions, zero_division=0, **options)),
            "f1_score": float(metrics.f1_score(targets, predictions, zero_division=0, **options))}


def _probability_metrics(compute: Any) -> dict[str, float]:
    try:
        return {name: float(value) for name, value in compute().items()}
    except ValueError as error:  # e.g. one class only in the targets: no curve to measure
        _logger.warning("Probability metrics are left out: %s", error)
        return {}


def _binary_curve_metrics(truth: np.ndarray, positive: np.ndarray) -> dict[str, float]:
    from sklearn import metrics  # noqa: PLC0415 - scikit-learn is optional

    return _probability_metrics(lambda: {"roc_auc": metrics.roc_auc_score(truth, positive),
                                         "precision_recall_auc": metrics.average_precision_score(truth, positive)})


def _per_class(targets: np.ndarray, predictions: np.ndarray, labels: list[Any], classes: list[Any] | None,
               proba: np.ndarray | None) -> pd.DataFrame:
    rows = []
    for label in labels:
        truth, guess = targets == label, predictions == label
        row = {"positive_class": label, **_counts(truth, guess), **_scores(truth, guess)}
        if proba is not None and classes is not None:
            curves = _binary_curve_metrics(truth, proba[:, classes.index(label)]) if label in classes else {}
            row.update({"roc_auc": curves.get("roc_auc", np.nan),
                        "precision_recall_auc": curves.get("precision_recall_auc", np.nan)})
        rows.append(row)
    return pd.DataFrame(rows)


def _confusion(targets: np.ndarray, predictions: np.ndarray, labels: list[Any]) -> np.ndarray:
    from sklearn.metrics import confusion_matrix  # noqa: PLC0415 - scikit-learn is optional

    return confusion_matrix(targets, predictions, labels=labels)


def _binary(targets: np.ndarray, predictions: np.ndarray, labels: list[Any], probabilities: Any,
            config: dict[str, Any]) -> ClassifierEvaluation:
    from sklearn import metrics  # noqa: PLC0415 - scikit-learn is optional

    pos_label = config.get("pos_label", labels[-1])
    if pos_label not in labels:
        raise InvalidParameterValue(f"evaluator_config pos_label {pos_label!r} is not one of the labels {labels}")
    average = config.get("average", "binary")
    options = {"pos_label": pos_label, "average": average} if average == "binary" else {"average": average}
    values = {**_counts(targets == pos_label, predictions == pos_label), **_scores(targets, predictions, **options)}
    classes, proba = probabilities if probabilities is not None else (None, None)
    if proba is not None and pos_label in classes:
        positive = proba[:, classes.index(pos_label)]
        values.update(_probability_metrics(lambda: {"log_loss": metrics.log_loss(targets, proba, labels=classes)}))
        values.update(_binary_curve_metrics(targets == pos_label, positive))
    others = [label for label in labels if label != pos_label]
    order = [*others[:1], pos_label]
    return ClassifierEvaluation(values, order, pos_label, _confusion(targets, predictions, order), classes, proba,
                                None)


def _multiclass(targets: np.ndarray, predictions: np.ndarray, labels: list[Any], probabilities: Any,
                config: dict[str, Any]) -> ClassifierEvaluation:
    from sklearn import metrics  # noqa: PLC0415 - scikit-learn is optional

    average = config.get("average", "weighted")
    if average == "binary":
        raise InvalidParameterValue("evaluator_config average 'binary' needs two labels; this data has "
                                    f"{len(labels)}: use 'micro', 'macro' or 'weighted'")
    values: dict[str, float] = _scores(targets, predictions, average=average)
    classes, proba = probabilities if probabilities is not None else (None, None)
    if proba is not None:
        auc_average = "macro" if average == "macro" else "weighted"
        values.update(_probability_metrics(lambda: {
            "log_loss": metrics.log_loss(targets, proba, labels=classes),
            "roc_auc": metrics.roc_auc_score(targets, proba, multi_class="ovr", average=auc_average,
                                             labels=classes)}))
    per_class = _per_class(targets, predictions, labels, classes, proba)
    return ClassifierEvaluation(values, labels, None, _confusion(targets, predictions, labels), classes, proba,
                                per_class)


def classifier_metrics(targets: np.ndarray, predictions: np.ndarray,
                       probabilities: tuple[list[Any], np.ndarray] | None,
                       config: dict[str, Any]) -> ClassifierEvaluation:
    """Binary metrics when there are at most two labels, multiclass ones (and the per-class table)
    otherwise; probability metrics when ``probabilities`` (classes, columns) are given."""
    labels = label_list(targets, predictions, config)
    if len(labels) <= 2:
        return _binary(targets, predictions, labels, probabilities, config)
    return _multiclass(targets, predictions, labels, probabilities, config)
