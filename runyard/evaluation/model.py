"""The model under evaluation: a model URI (loaded as pyfunc), a loaded pyfunc model, an object
with ``predict`` or a plain function; with the framework estimator behind it, when there is one,
for ``score`` and class probabilities."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from runyard import uris
from runyard.errors import InvalidParameterValue
from runyard.flavors.loading import load_pyfunc
from runyard.fluent.models import download_model
from runyard.models.pyfunc import PyFuncModel

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvaluatedModel:
    """How to predict, the estimator behind (or None), and the logged model's id when it is known
    to live in the current tracking store."""

    predict: Callable[[Any], Any]
    estimator: Any
    model_id: str | None


def _raw_model(model: PyFuncModel) -> Any:
    try:
        return model.get_raw_model()
    except NotImplementedError:
        return None


def _from_pyfunc(model: PyFuncModel, inference_params: dict[str, Any] | None, from_store: bool) -> EvaluatedModel:
    return EvaluatedModel(lambda features: model.predict(features, params=inference_params), _raw_model(model),
                          model.model_id if from_store else None)


def resolve_model(model: Any, model_config: dict[str, Any] | None,
                  inference_params: dict[str, Any] | None) -> EvaluatedModel:
    """The model named or given by ``model`` (see ``evaluate``)."""
    if isinstance(model, (str, os.PathLike)):
        uri = os.fspath(model)
        loaded = load_pyfunc(download_model(uri), model_config)
        return _from_pyfunc(loaded, inference_params, from_store=not uris.is_local_uri(uri))
    if isinstance(model, PyFuncModel):
        return _from_pyfunc(model, inference_params, from_store=False)
    if hasattr(model, "predict") and callable(model.predict):
        return EvaluatedModel(model.predict, model, None)
    if callable(model):
        return EvaluatedModel(model, None, None)
    raise InvalidParameterValue(f"model must be a model URI, a loaded pyfunc model, an object with a predict method "
                                f"or a function; got {type(model).__name__}")


def _sklearn_estimator(estimator: Any) -> bool:
    from sklearn.base import BaseEstimator  # noqa: PLC0415 - scikit-learn is checked before this runs

    return isinstance(estimator, BaseEstimator)


def estimator_score(model: EvaluatedModel, features: Any, targets: np.ndarray) -> float | None:
    """The estimator's own ``score`` (scikit-learn estimators only), or None."""
    estimator = model.estimator
    if estimator is None or not _sklearn_estimator(estimator) or not callable(getattr(estimator, "score", None)):
        return None
    try:
        return float(estimator.score(features, targets))
    except Exception as error:  # noqa: BLE001 - a failed score is left out, as MLflow does
        _logger.warning("The model's score() failed, so `score` is not logged: %s", error)
        return None


def class_probabilities(model: EvaluatedModel, features: Any) -> tuple[list[Any], np.ndarray] | None:
    """(classes, one column of probabilities per class) from the estimator's ``predict_proba``."""
    estimator = model.estimator
    if estimator is None or not callable(getattr(estimator, "predict_proba", None)):
        return None
    classes = getattr(estimator, "classes_", None)
    try:
        proba = np.asarray(estimator.predict_proba(features), dtype=float)
    except Exception as error:  # noqa: BLE001 - probability metrics are then left out
        _logger.warning("The model's predict_proba() failed; probability metrics are left out: %s", error)
        return None
    if classes is None or proba.ndim != 2 or proba.shape[1] != len(classes):
        return None
    return list(classes), proba
