"""Training metrics of a fitted scikit-learn estimator, under MLflow's names.

Classifiers: ``training_{accuracy,precision,recall,f1}_score`` (weighted averages, or binary ones
for ``pos_label``), and with ``predict_proba`` ``training_log_loss`` and ``training_roc_auc``.
Regressors: ``training_{mean_squared_error,root_mean_squared_error,mean_absolute_error,r2_score}``.
Any estimator with ``score``: ``training_score``. A metric that cannot be computed for this model
or data (one class only, unsupported targets) is left out, with a debug record saying why.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from typing import Any

_logger = logging.getLogger("runyard.autologging")


def _computed(metrics: dict[str, float], name: str, compute: Callable[[], Any]) -> None:
    try:
        with warnings.catch_warnings():
            # The estimator's own warnings (undefined precision for a class never predicted, ...) are
            # about our extra computation, not the user's training: keep them out of the user's output.
            warnings.simplefilter("ignore")
            value = float(compute())
    except Exception as exc:  # noqa: BLE001 - metrics that do not apply are skipped
        _logger.debug("Training metric %s was not computed: %s", name, exc)
        return
    if not math.isnan(value):
        metrics[name] = value


def _weights(sample_weight: Any) -> dict[str, Any]:
    return {"sample_weight": sample_weight} if sample_weight is not None else {}


def _classifier_metrics(estimator: Any, X: Any, y: Any, sample_weight: Any, pos_label: Any,
                        metrics: dict[str, float]) -> None:
    from sklearn import metrics as skm  # noqa: PLC0415 - sklearn is loaded: the user just fitted

    predicted = estimator.predict(X)
    weights = _weights(sample_weight)
    average = {"average": "binary", "pos_label": pos_label} if pos_label is not None else {"average": "weighted"}
    _computed(metrics, "training_precision_score", lambda: skm.precision_score(y, predicted, **average, **weights))
    _computed(metrics, "training_recall_score", lambda: skm.recall_score(y, predicted, **average, **weights))
    _computed(metrics, "training_f1_score", lambda: skm.f1_score(y, predicted, **average, **weights))
    _computed(metrics, "training_accuracy_score", lambda: skm.accuracy_score(y, predicted, **weights))
    if not hasattr(estimator, "predict_proba"):
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            proba = estimator.predict_proba(X)
    except Exception as exc:  # noqa: BLE001 - e.g. SVC(probability=False) has the method but refuses
        _logger.debug("predict_proba failed, no log loss or ROC AUC: %s", exc)
        return
    labels = getattr(estimator, "classes_", None)
    _computed(metrics, "training_log_loss", lambda: skm.log_loss(y, proba, labels=labels, **weights))
    if proba.ndim == 2 and proba.shape[1] == 2:
        _computed(metrics, "training_roc_auc", lambda: skm.roc_auc_score(y, proba[:, 1], **weights))
    else:
        _computed(metrics, "training_roc_auc",
                  lambda: skm.roc_auc_score(y, proba, multi_class="ovr", labels=labels, **weights))


def _regressor_metrics(estimator: Any, X: Any, y: Any, sample_weight: Any, metrics: dict[str, float]) -> None:
    from sklearn import metrics as skm  # noqa: PLC0415

    predicted = estimator.predict(X)
    weights = _weights(sample_weight)
    _computed(metrics, "training_mean_squared_error", lambda: skm.mean_squared_error(y, predicted, **weights))
    if "training_mean_squared_error" in metrics:
        metrics["training_root_mean_squared_error"] = math.sqrt(metrics["training_mean_squared_error"])
    _computed(metrics, "training_mean_absolute_error", lambda: skm.mean_absolute_error(y, predicted, **weights))
    _computed(metrics, "training_r2_score", lambda: skm.r2_score(y, predicted, **weights))


def training_metrics(estimator: Any, X: Any, y: Any, sample_weight: Any = None, pos_label: Any = None) -> dict[str, float]:
    """The training metrics of a fitted ``estimator`` on its training data."""
    from sklearn.base import is_classifier, is_regressor  # noqa: PLC0415

    metrics: dict[str, float] = {}
    if y is not None:
        try:
            if is_classifier(estimator):
                _classifier_metrics(estimator, X, y, sample_weight, pos_label, metrics)
            elif is_regressor(estimator):
                _regressor_metrics(estimator, X, y, sample_weight, metrics)
        except Exception as exc:  # noqa: BLE001 - predict itself failed: no prediction metrics
            _logger.debug("Training predictions failed, no training metrics: %s", exc)
    score = getattr(estimator, "score", None)
    if callable(score):
        args = (X,) if y is None else (X, y)
        _computed(metrics, "training_score",
                  lambda: score(*args, **_weights(sample_weight)) if sample_weight is not None else score(*args))
    return metrics
