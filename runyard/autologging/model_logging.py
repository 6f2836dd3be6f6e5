"""The fitted model as a logged model of the autolog run, with the input example and signature
the configuration asks for (both taken from the first rows of the training data)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from runyard.autologging.configs import AutologConfig
from runyard.autologging.sessions import AutologRun
from runyard.fluent import models as fluent_models
from runyard.models.model import ModelInfo
from runyard.models.signature import infer_signature

_logger = logging.getLogger("runyard.autologging")
EXAMPLE_ROWS = 5


def first_rows(data: Any, count: int = EXAMPLE_ROWS) -> Any:
    """The first ``count`` rows of numpy, pandas or list training data; None for other kinds."""
    if data is None:
        return None
    module = type(data).__module__
    if module.startswith("pandas"):
        return data.iloc[:count]
    if module == "numpy" or isinstance(data, list):
        return data[:count]
    return None


def signature_for(sample: Any, predict: Callable[[Any], Any] | None) -> Any:
    """A signature from a sample of the training data and the model's prediction on it; None when
    either is missing or prediction fails (the model is logged without one)."""
    if sample is None or predict is None:
        return None
    try:
        return infer_signature(sample, predict(sample))
    except Exception as exc:  # noqa: BLE001 - a signature is a nice-to-have
        _logger.debug("No model signature: prediction on the sample failed: %s", exc)
        return None


def log_fitted_model(config: AutologConfig, run: AutologRun, save_model: Callable[..., Any], model_argument: str,
                     model: Any, sample: Any, predict: Callable[[Any], Any] | None, name: str = "model",
                     signature_sample: Any = None, **save_kwargs: Any) -> ModelInfo:
    """Log ``model`` through ``save_model(**{model_argument: model}, ...)`` into ``run``.

    ``sample`` gives the input example (when ``log_input_examples``) and the signature (when
    ``log_model_signatures``); ``signature_sample`` serves the signature alone when the training data
    yields no faithful example (an xgboost DMatrix).
    """
    example = sample if config.log_input_examples else None
    signature: Any = False  # False: none, and none inferred from the example either
    if config.log_model_signatures:
        signature = signature_for(sample if sample is not None else signature_sample, predict) or (
            None if example is not None else False)
    arguments = {"signature": signature, "input_example": example, model_argument: model, **save_kwargs}
    return fluent_models.log_model(save_model, name, run_id=run.run_id,
                                   registered_model_name=config.registered_model_name, **arguments)
