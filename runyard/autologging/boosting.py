"""What XGBoost and LightGBM autologging share: params of a native ``train`` call, per-iteration
metric histories (``<data>-<metric>`` at step = iteration, as MLflow names them), feature
importance JSON artifacts, and patching every scikit-learn API class that has a ``fit``."""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterable, Mapping
from typing import Any

from runyard.autologging import patching, sessions
from runyard.autologging.sessions import AutologRun
from runyard.autologging.sklearn_search import param_entities
from runyard.entities import Metric


def call_arguments(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments of a call by name, defaults filled in (empty when they do not bind)."""
    try:
        bound = inspect.signature(patching.original_function(function)).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return {}
    bound.apply_defaults()
    return dict(bound.arguments)


def with_callback(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                  callback: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The call's arguments with ``callback`` appended to its ``callbacks`` (a new list: the
    caller's own list is not changed)."""
    bound = inspect.signature(patching.original_function(function)).bind(*args, **kwargs)
    bound.arguments["callbacks"] = list(bound.arguments.get("callbacks") or []) + [callback]
    return bound.args, bound.kwargs


def train_params(arguments: Mapping[str, Any], skipped: Iterable[str]) -> dict[str, Any]:
    """The booster params of a native train call plus its other plain arguments (``num_boost_round``,
    ``early_stopping_rounds``, ...); data, callbacks and functions are left out."""
    params = arguments.get("params") or {}
    logged = dict(params.items() if isinstance(params, Mapping) else params)
    skip = set(skipped) | {"params"}
    for name, value in arguments.items():
        if name not in skip and name not in logged and (value is None or isinstance(value, (int, float, str, bool))):
            logged[name] = value
    return logged


def log_params(run: AutologRun, params: Mapping[str, Any]) -> None:
    run.client.log_batch(run.run_id, params=param_entities(dict(params)), synchronous=True)


def log_histories(run: AutologRun, evals_result: Mapping[str, Mapping[str, Iterable[float]]]) -> None:
    """Log ``{data: {metric: [value per iteration]}}`` as ``data-metric`` at steps 0, 1, ..."""
    now = int(time.time() * 1000)
    points = [Metric(f"{data}-{metric}", float(value), now, step)
              for data, metrics in evals_result.items() for metric, values in metrics.items()
              for step, value in enumerate(values)]
    if points:
        run.client.log_batch(run.run_id, metrics=points, synchronous=True)


def log_metrics(run: AutologRun, metrics: Mapping[str, float], step: int = 0) -> None:
    now = int(time.time() * 1000)
    points = [Metric(key, float(value), now, step) for key, value in metrics.items()]
    if points:
        run.client.log_batch(run.run_id, metrics=points, synchronous=True)


def log_importances(run: AutologRun, importances: Mapping[str, Mapping[str, float]]) -> None:
    """``feature_importance_<type>.json`` per importance type: feature name -> importance."""
    for importance_type, values in importances.items():
        clean = {str(name): float(value) for name, value in values.items()}
        run.client.log_dict(run.run_id, clean, f"feature_importance_{importance_type}.json")


def patch_fit_methods(flavor: str, base: type, call_class: type[sessions.TrainingCall]) -> None:
    """Patch ``fit`` of ``base`` and of every subclass defined so far (XGBClassifier, LGBMRanker, ...)."""
    pending, seen = [base], set()
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        pending.extend(cls.__subclasses__())
        if "fit" in cls.__dict__ or cls is base:
            patching.patch(flavor, cls, "fit", sessions.patched_training(flavor, call_class))
