"""The "default" evaluator: the built-in metrics of a regressor or a classifier, and their plots
and tables written to a scratch directory (file names carry the metric prefix)."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from runyard.evaluation import plots
from runyard.evaluation.classifier import ClassifierEvaluation, classifier_metrics
from runyard.evaluation.data import EvaluationData
from runyard.evaluation.model import EvaluatedModel, class_probabilities, estimator_score
from runyard.evaluation.regressor import numeric, regressor_metrics

_logger = logging.getLogger(__name__)
Outcome = tuple[dict[str, float], dict[str, Path]]


class _Drawer:
    """Draws each plot into ``directory`` as ``<prefix><name>.png``; skips them all, once warned,
    when matplotlib is missing, and skips (with a warning) a plot that fails to draw."""

    def __init__(self, directory: Path, prefix: str) -> None:
        self.directory, self.prefix = directory, prefix
        self.files: dict[str, Path] = {}
        self.enabled = importlib.util.find_spec("matplotlib") is not None
        if not self.enabled:
            _logger.warning("matplotlib is not installed, so no evaluation plots are drawn "
                            "(pip install 'runyard[images]')")

    def draw(self, name: str, plot: Callable[..., None], *args: Any) -> None:
        if not self.enabled:
            return
        path = self.directory / f"{self.prefix}{name}.png"
        try:
            plot(*args, str(path))
        except (ValueError, IndexError) as error:
            _logger.warning("The %s plot was not drawn: %s", name, error)
            return
        self.files[name] = path


def evaluate_regressor(data: EvaluationData, predictions: np.ndarray, model: EvaluatedModel | None,
                       config: dict[str, Any], directory: Path) -> Outcome:
    """Regressor metrics (plus ``score`` for a scikit-learn estimator) and the residuals plot."""
    targets = numeric(data.targets, "targets")
    predicted = numeric(predictions, "predictions")
    metrics: dict[str, float] = {}
    score = estimator_score(model, data.features, data.targets) if model is not None else None
    if score is not None:
        metrics["score"] = score
    metrics.update(regressor_metrics(targets, predicted))
    drawer = _Drawer(directory, config.get("metric_prefix", ""))
    drawer.draw("residuals_plot", plots.residuals_plot, targets, predicted)
    return metrics, drawer.files


def _classifier_plots(evaluation: ClassifierEvaluation, targets: np.ndarray, drawer: _Drawer) -> None:
    drawer.draw("confusion_matrix", plots.confusion_matrix_plot, evaluation.confusion, evaluation.labels)
    if evaluation.proba is None or evaluation.classes is None:
        return
    curves = plots.classifier_curves(targets, evaluation.proba, evaluation.classes, evaluation.pos_label)
    if not curves:
        return
    drawer.draw("roc_curve_plot", plots.roc_curve_plot, curves)
    drawer.draw("precision_recall_curve_plot", plots.precision_recall_curve_plot, curves)
    if evaluation.binary:
        _, truth, scores = curves[0]
        drawer.draw("lift_curve_plot", plots.lift_curve_plot, truth, scores)
    drawer.draw("calibration_curve_plot", plots.calibration_curve_plot, curves)


def evaluate_classifier(data: EvaluationData, predictions: np.ndarray, model: EvaluatedModel | None,
                        config: dict[str, Any], directory: Path) -> Outcome:
    """Classifier metrics (probability ones when the estimator has ``predict_proba``), the confusion
    matrix and curve plots, and the per-class table of a multiclass evaluation."""
    probabilities = class_probabilities(model, data.features) if model is not None else None
    evaluation = classifier_metrics(data.targets, predictions, probabilities, config)
    metrics: dict[str, float] = {}
    score = estimator_score(model, data.features, data.targets) if model is not None else None
    if score is not None:
        metrics["score"] = score
    metrics.update(evaluation.metrics)
    prefix = config.get("metric_prefix", "")
    drawer = _Drawer(directory, prefix)
    _classifier_plots(evaluation, data.targets, drawer)
    files = dict(drawer.files)
    if evaluation.per_class is not None:
        files["per_class_metrics"] = directory / f"{prefix}per_class_metrics.csv"
        evaluation.per_class.to_csv(files["per_class_metrics"], index=False)
    return metrics, files
