"""Custom metrics: ``make_metric`` builds an ``EvaluationMetric`` whose ``eval_fn`` gets the
predictions, the targets, the metrics so far (as ``MetricValue``s) and, by parameter name, columns
of the evaluation data; it returns a number or a ``MetricValue``."""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from runyard.errors import InvalidParameterValue

_POSITIONAL = ("predictions", "targets", "metrics")


@dataclass
class MetricValue:
    """A metric's outcome: per-row ``scores`` and ``justifications``, and ``aggregate_results``
    (name -> number, logged as ``<metric>/<name>``)."""

    scores: list[Any] | None = None
    justifications: list[str] | None = None
    aggregate_results: dict[str, float] | None = None


class EvaluationMetric:
    """A custom metric for ``evaluate(extra_metrics=[...])``; build it with ``make_metric``."""

    def __init__(self, eval_fn: Callable[..., Any], name: str, greater_is_better: bool, long_name: str | None = None,
                 version: str | None = None, metric_details: str | None = None,
                 metric_metadata: dict[str, Any] | None = None, genai_metric_args: dict[str, Any] | None = None,
                 ) -> None:
        self.eval_fn = eval_fn
        self.name = name
        self.greater_is_better = greater_is_better
        self.long_name = long_name or name
        self.version = version
        self.metric_details = metric_details
        self.metric_metadata = metric_metadata
        self.genai_metric_args = genai_metric_args

    def __repr__(self) -> str:
        return f"EvaluationMetric(name={self.name!r}, greater_is_better={self.greater_is_better})"


def make_metric(*, eval_fn: Callable[..., Any], greater_is_better: bool, name: str | None = None,
                long_name: str | None = None, version: str | None = None, metric_details: str | None = None,
                metric_metadata: dict[str, Any] | None = None,
                genai_metric_args: dict[str, Any] | None = None) -> EvaluationMetric:
    """A custom metric named ``name`` (default: the function's name) computed by ``eval_fn``."""
    if not callable(eval_fn):
        raise InvalidParameterValue("make_metric: eval_fn must be a function")
    name = name or getattr(eval_fn, "__name__", None)
    if not name or name == "<lambda>":
        raise InvalidParameterValue("make_metric: name is required when eval_fn is a lambda or has no __name__")
    return EvaluationMetric(eval_fn, name, greater_is_better, long_name, version, metric_details, metric_metadata,
                            genai_metric_args)


def _arguments(metric: EvaluationMetric, values: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """Arguments by parameter name; a function whose (at most three) positional parameters are
    named otherwise gets predictions, targets and metrics in that order, as MLflow's examples do."""
    parameters = [p for p in inspect.signature(metric.eval_fn).parameters.values()
                  if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    keywords: dict[str, Any] = {}
    unknown = []
    for parameter in parameters:
        if parameter.name in values:
            keywords[parameter.name] = values[parameter.name]
        elif parameter.default is parameter.empty:
            unknown.append(parameter.name)
    if not unknown:
        return [], keywords
    if len(parameters) <= len(_POSITIONAL) and all(p.kind != p.KEYWORD_ONLY for p in parameters):
        return [values[name] for name in _POSITIONAL[:len(parameters)]], {}
    raise InvalidParameterValue(f"extra_metrics: {metric.name!r} takes {unknown}, which name no column of data "
                                f"(its parameters may be predictions, targets, metrics or column names)")


def _outcome(metric: EvaluationMetric, value: Any) -> tuple[dict[str, float], list[Any] | None]:
    if isinstance(value, MetricValue) or (hasattr(value, "aggregate_results") and hasattr(value, "scores")):
        aggregates = {f"{metric.name}/{key}": float(result) for key, result in (value.aggregate_results or {}).items()}
        return aggregates, list(value.scores) if value.scores is not None else None
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return {metric.name: float(value)}, None
    if value is None:
        return {}, None
    raise InvalidParameterValue(f"extra_metrics: {metric.name!r} returned {type(value).__name__}; an eval_fn must "
                                f"return a number or a MetricValue")


def compute_extra_metrics(extra_metrics: Sequence[Any], predictions: np.ndarray, targets: np.ndarray,
                          builtin: dict[str, float], columns: pd.DataFrame | None,
                          ) -> tuple[dict[str, float], dict[str, list[Any]]]:
    """(metric name -> value, ``<metric>/score`` -> per-row scores) of the custom metrics, in order;
    each sees the built-in metrics and the custom ones before it."""
    so_far = metric_values(builtin)
    frame_columns = ({str(name): columns[name].reset_index(drop=True) for name in columns.columns}
                     if columns is not None else {})
    results: dict[str, float] = {}
    scores: dict[str, list[Any]] = {}
    for metric in extra_metrics:
        if not isinstance(metric, EvaluationMetric) and not (hasattr(metric, "eval_fn") and hasattr(metric, "name")):
            raise InvalidParameterValue(f"extra_metrics must hold metrics made by make_metric; got "
                                        f"{type(metric).__name__}")
        values = {**frame_columns, "predictions": pd.Series(predictions), "targets": pd.Series(targets),
                  "metrics": so_far}
        args, kwargs = _arguments(metric, values)
        aggregates, row_scores = _outcome(metric, metric.eval_fn(*args, **kwargs))
        results.update(aggregates)
        so_far.update(metric_values(aggregates))
        if row_scores is not None:
            scores[f"{metric.name}/score"] = row_scores
    return results, scores


def metric_values(metrics: dict[str, float]) -> dict[str, MetricValue]:
    """Metrics as ``MetricValue``s, as custom artifact functions receive them."""
    return {name: MetricValue(aggregate_results={name: value}) for name, value in metrics.items()}
