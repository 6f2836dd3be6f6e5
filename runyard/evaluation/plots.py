"""The evaluation plots as PNG files, drawn with matplotlib's object API (no pyplot, so no global
figure state and no GUI backend; PNGs go through Agg)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

_DPI = 100


def _figure(width: float = 6.0, height: float = 5.0) -> tuple[Any, Any]:
    from matplotlib.figure import Figure  # noqa: PLC0415 - matplotlib is optional (the images extra)

    figure = Figure(figsize=(width, height), dpi=_DPI)
    return figure, figure.add_subplot()


def _save(figure: Any, path: str) -> None:
    figure.tight_layout()
    figure.savefig(path, format="png")


def residuals_plot(targets: np.ndarray, predictions: np.ndarray, path: str) -> None:
    """Residuals (target - prediction) against predictions, with the zero line."""
    figure, axes = _figure()
    axes.scatter(predictions, targets - predictions, s=12, alpha=0.6)
    axes.axhline(0.0, color="grey", linestyle="--", linewidth=1)
    axes.set(xlabel="Predicted value", ylabel="Residual (target - prediction)", title="Residuals")
    _save(figure, path)


def confusion_matrix_plot(matrix: np.ndarray, labels: Sequence[Any], path: str) -> None:
    """Counts of true labels (rows) against predicted labels (columns)."""
    size = max(4.0, 0.6 * len(labels) + 3)
    figure, axes = _figure(size + 1, size)
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes)
    ticks = range(len(labels))
    axes.set(xticks=ticks, yticks=ticks, xlabel="Predicted label", ylabel="True label", title="Confusion matrix")
    axes.set_xticklabels([str(label) for label in labels], rotation=45 if len(labels) > 4 else 0)
    axes.set_yticklabels([str(label) for label in labels])
    threshold = matrix.max() / 2 if matrix.size else 0
    for row in range(matrix.shape[0]):
        for column in range(matrix.shape[1]):
            value = matrix[row, column]
            axes.text(column, row, str(value), ha="center", va="center",
                      color="white" if value > threshold else "black")
    _save(figure, path)


def _one_vs_rest(truth: np.ndarray, proba: np.ndarray, classes: Sequence[Any]) -> list[tuple[str, Any, Any]]:
    """(legend label, truth for the class, its probabilities) per class with both outcomes present."""
    curves = []
    for index, label in enumerate(classes):
        positive = truth == label
        if positive.any() and not positive.all():
            curves.append((f"class {label}", positive, proba[:, index]))
    return curves


def roc_curve_plot(curves: list[tuple[str, Any, Any]], path: str) -> None:
    """ROC curves (one per (label, truth, scores)), with the chance diagonal."""
    from sklearn.metrics import roc_auc_score, roc_curve  # noqa: PLC0415 - scikit-learn is optional

    figure, axes = _figure()
    for name, truth, scores in curves:
        fpr, tpr, _ = roc_curve(truth, scores)
        axes.plot(fpr, tpr, label=f"{name} (AUC={roc_auc_score(truth, scores):.3f})")
    axes.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
    axes.set(xlabel="False positive rate", ylabel="True positive rate", title="ROC curve")
    axes.legend(loc="lower right", fontsize="small")
    _save(figure, path)


def precision_recall_curve_plot(curves: list[tuple[str, Any, Any]], path: str) -> None:
    """Precision-recall curves (one per (label, truth, scores))."""
    from sklearn.metrics import average_precision_score, precision_recall_curve  # noqa: PLC0415

    figure, axes = _figure()
    for name, truth, scores in curves:
        precision, recall, _ = precision_recall_curve(truth, scores)
        axes.plot(recall, precision, label=f"{name} (AP={average_precision_score(truth, scores):.3f})")
    axes.set(xlabel="Recall", ylabel="Precision", title="Precision-recall curve", ylim=(0, 1.05))
    axes.legend(loc="lower left", fontsize="small")
    _save(figure, path)


def calibration_curve_plot(curves: list[tuple[str, Any, Any]], path: str, bins: int = 10) -> None:
    """Observed frequency of the positive class against mean predicted probability, per bin."""
    from sklearn.calibration import calibration_curve  # noqa: PLC0415 - scikit-learn is optional

    figure, axes = _figure()
    for name, truth, scores in curves:
        observed, predicted = calibration_curve(truth, scores, n_bins=bins)
        axes.plot(predicted, observed, marker="o", label=name)
    axes.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfectly calibrated")
    axes.set(xlabel="Mean predicted probability", ylabel="Fraction of positives", title="Calibration curve")
    axes.legend(loc="upper left", fontsize="small")
    _save(figure, path)


def lift_curve_plot(truth: np.ndarray, scores: np.ndarray, path: str) -> None:
    """Lift (positive rate among the top-scored fraction / overall positive rate) by fraction."""
    order = np.argsort(-scores, kind="stable")
    hits = np.cumsum(truth[order])
    taken = np.arange(1, len(truth) + 1)
    base_rate = truth.mean() if len(truth) else 0.0
    lift = (hits / taken) / base_rate if base_rate else np.zeros(len(truth))
    figure, axes = _figure()
    axes.plot(taken / max(len(truth), 1), lift, label="model")
    axes.axhline(1.0, color="grey", linestyle="--", linewidth=1, label="baseline")
    axes.set(xlabel="Fraction of samples (highest scores first)", ylabel="Lift", title="Lift curve")
    axes.legend(loc="upper right", fontsize="small")
    _save(figure, path)


def classifier_curves(truth: np.ndarray, proba: np.ndarray, classes: Sequence[Any],
                      pos_label: Any = None) -> list[tuple[str, Any, Any]]:
    """The curves to draw: the positive class alone for a binary classifier, one per class otherwise."""
    if pos_label is not None:
        positive = truth == pos_label
        if not positive.any() or positive.all():
            return []
        return [(f"positive class {pos_label}", positive, proba[:, list(classes).index(pos_label)])]
    return _one_vs_rest(truth, proba, classes)
