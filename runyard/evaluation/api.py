"""``evaluate``: score a model (or a column of predictions) on labelled data with the default
evaluator, log the metrics, plots and tables to a run, and return them as an ``EvaluationResult``."""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from runyard.errors import InvalidParameterValue, RunyardException
from runyard.evaluation.artifacts import EvaluationResult
from runyard.evaluation.classifier import AVERAGES
from runyard.evaluation.custom_artifacts import results_table, run_custom_artifacts
from runyard.evaluation.custom_metrics import compute_extra_metrics, metric_values
from runyard.evaluation.data import EvaluationData, as_labels, prepare_data
from runyard.evaluation.default_evaluator import evaluate_classifier, evaluate_regressor
from runyard.evaluation.model import EvaluatedModel, resolve_model
from runyard.evaluation.recording import dataset_of, evaluation_run, record

MODEL_TYPES = {"regressor": evaluate_regressor, "classifier": evaluate_classifier}
_MLFLOW_ONLY_TYPES = ("question-answering", "text-summarization", "text", "retriever", "databricks-agent")


def _check_model_type(model_type: Any) -> None:
    if model_type in MODEL_TYPES:
        return
    allowed = ", ".join(repr(name) for name in MODEL_TYPES)
    if model_type is None:
        raise InvalidParameterValue(f"model_type is required: one of {allowed}")
    hint = " (GenAI evaluation is not supported by runyard)" if model_type in _MLFLOW_ONLY_TYPES else ""
    raise InvalidParameterValue(f"model_type {model_type!r} is not supported{hint}: use one of {allowed}")


def _evaluator_config(evaluators: Any, evaluator_config: dict[str, Any] | None) -> dict[str, Any]:
    names = [evaluators] if isinstance(evaluators, str) else list(evaluators or ["default"])
    if names != ["default"]:
        raise InvalidParameterValue(f"evaluators {names!r} are not supported: runyard has the 'default' evaluator "
                                    f"only (evaluators=None, 'default' or ['default'])")
    config = dict(evaluator_config or {})
    if set(config) == {"default"} and isinstance(config["default"], dict):
        config = dict(config["default"])  # the per-evaluator form: {"default": {...}}
    if not isinstance(config.get("metric_prefix", ""), str):
        raise InvalidParameterValue("evaluator_config metric_prefix must be a string")
    if config.get("average", "weighted") not in AVERAGES:
        raise InvalidParameterValue(f"evaluator_config average {config['average']!r} is not one of {AVERAGES}")
    return config


def _check_arguments(model: Any, predictions: Any, env_manager: str) -> None:
    if importlib.util.find_spec("sklearn") is None:
        raise RunyardException("evaluate computes its metrics with scikit-learn, which is not installed: "
                               "pip install scikit-learn (or runyard[sklearn])")
    if env_manager != "local":
        raise InvalidParameterValue(f"env_manager {env_manager!r} is not supported yet; use env_manager='local'")
    if model is not None and predictions is not None:
        raise InvalidParameterValue("predictions names a column of precomputed predictions, so model must be None; "
                                    "pass either a model or predictions")
    if model is None and predictions is None:
        raise InvalidParameterValue("model is None, so predictions must name the column of `data` that holds the "
                                    "model's predictions")


def _predict(model: EvaluatedModel | None, data: EvaluationData) -> np.ndarray:
    if model is None:
        assert data.predictions is not None  # checked by _check_arguments and prepare_data
        return data.predictions
    return as_labels(model.predict(data.features), data.example_count)


def _custom_outputs(data: EvaluationData, predicted: np.ndarray, metrics: dict[str, float],
                    extra_metrics: Sequence[Any] | None, custom_artifacts: Sequence[Any] | None, prefix: str,
                    directory: Path) -> tuple[dict[str, float], dict[str, Path]]:
    """The custom metrics (prefixed) and the files of the custom artifacts and results table."""
    extra, scores = compute_extra_metrics(extra_metrics or [], predicted, data.targets, metrics,
                                          _feature_frame(data))
    files = run_custom_artifacts(custom_artifacts or [], predicted, data.targets, metric_values({**metrics, **extra}),
                                 directory, prefix)
    if scores:
        table = directory / f"{prefix}eval_results_table.json"
        files["eval_results_table"] = results_table(_feature_frame(data), data.targets_name, data.targets, predicted,
                                                    scores, table)
    return {f"{prefix}{name}": value for name, value in extra.items()}, files


def _feature_frame(data: EvaluationData) -> Any:
    import pandas as pd  # noqa: PLC0415 - kept out of runyard's import

    if isinstance(data.features, pd.DataFrame):
        return data.features
    return pd.DataFrame(np.asarray(data.features), columns=data.feature_names)


def evaluate(model: Any = None, data: Any = None, *, model_type: str | None = None, targets: Any = None,
             predictions: str | None = None, dataset_path: str | None = None,
             feature_names: Sequence[str] | None = None, evaluators: str | Sequence[str] | None = None,
             evaluator_config: dict[str, Any] | None = None, extra_metrics: Sequence[Any] | None = None,
             custom_artifacts: Sequence[Any] | None = None, env_manager: str = "local",
             model_config: dict[str, Any] | None = None, inference_params: dict[str, Any] | None = None,
             model_id: str | None = None) -> EvaluationResult:
    """Evaluate ``model`` on ``data`` as a ``model_type`` ("regressor" or "classifier").

    ``model``: a model URI (``runs:/``, ``models:/<name>/<version|stage>``, ``models:/<name>@<alias>``,
    ``models:/<model_id>``, a path), a loaded pyfunc model, an object with ``predict`` or a function;
    None with ``predictions`` naming a column of ``data``. ``data``: a pandas DataFrame (``targets``
    names its label column) or a numpy array / list of rows (``targets`` is the labels). Metrics,
    plots and tables are logged to the active run, or to a new run that is ended afterwards.
    ``evaluator_config``: ``metric_prefix``, ``pos_label``, ``average``, ``label_list``.
    ``dataset_path`` is accepted for compatibility and not recorded; ``model_id`` links the logged
    metrics to that logged model (the model's own id is used for models from the tracking store).
    """
    _check_arguments(model, predictions, env_manager)
    _check_model_type(model_type)
    config = _evaluator_config(evaluators, evaluator_config)
    prepared = prepare_data(data, targets, predictions, feature_names)
    resolved = resolve_model(model, model_config, inference_params) if model is not None else None
    predicted = _predict(resolved, prepared)
    prefix = config.get("metric_prefix", "")
    with tempfile.TemporaryDirectory(prefix="runyard-evaluate-") as scratch:
        directory = Path(scratch)
        builtin, files = MODEL_TYPES[str(model_type)](prepared, predicted, resolved, config, directory)
        extra, custom_files = _custom_outputs(prepared, predicted, builtin, extra_metrics, custom_artifacts, prefix,
                                              directory)
        metrics = {**{f"{prefix}{name}": value for name, value in builtin.items()}, **extra}
        with evaluation_run() as run:
            linked_model = model_id or (resolved.model_id if resolved is not None else None)
            artifacts = record(run, metrics, {**files, **custom_files}, dataset_of(prepared), linked_model)
    return EvaluationResult(metrics, artifacts, run.info.run_id)
