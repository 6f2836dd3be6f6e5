"""scikit-learn autologging: ``fit``, ``fit_transform`` and ``fit_predict`` of every estimator.

Logged per outermost call: params (``get_params(deep=True)``), the training metrics of
``sklearn_metrics``, tags ``estimator_name`` and ``estimator_class``, the training data as a run
input, and the fitted model (``model``). A Pipeline is one run with the pipeline's params; its
steps' fits are nested calls and log nothing. Parameter searches log what ``sklearn_search``
describes, and the refitted winner as a second model, ``best_estimator``.

Preprocessing, imputation and feature extraction or selection estimators, and ColumnTransformer,
are not patched (as in MLflow): they are data preparation, not models, and fitting one on its own
should not create a run. Inside a Pipeline they are logged as part of the pipeline.
"""

from __future__ import annotations

import inspect
import time
from typing import Any

from runyard.autologging import configs, patching, sessions
from runyard.autologging.datasets import training_input
from runyard.autologging.model_logging import first_rows, log_fitted_model
from runyard.autologging.sklearn_metrics import training_metrics
from runyard.autologging.sklearn_search import (
    cv_results_csv,
    estimator_tags,
    is_search,
    log_child_runs,
    param_entities,
    search_metrics,
    search_params,
    tag_entities,
)
from runyard.entities import Metric

FLAVOR_NAME = "sklearn"
FIT_METHODS = ("fit", "fit_transform", "fit_predict")
_EXCLUDED_MODULES = ("sklearn.preprocessing", "sklearn.impute", "sklearn.feature_extraction",
                     "sklearn.feature_selection", "sklearn.compose")


def _estimator_classes() -> list[type]:
    import warnings  # noqa: PLC0415

    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV  # noqa: PLC0415
    from sklearn.pipeline import FeatureUnion, Pipeline  # noqa: PLC0415
    from sklearn.utils import all_estimators  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # importing every estimator module may warn (deprecations)
        found = [cls for _, cls in all_estimators()]
    classes = [cls for cls in found if not cls.__module__.startswith(_EXCLUDED_MODULES)]
    for extra in (Pipeline, FeatureUnion, GridSearchCV, RandomizedSearchCV):
        if extra not in classes:
            classes.append(extra)
    return classes


def _bound_arguments(fit: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    try:
        bound = inspect.signature(patching.original_function(fit)).bind_partial(*args, **kwargs)
    except (TypeError, ValueError):
        return {}
    arguments = dict(bound.arguments)
    for name, param in inspect.signature(patching.original_function(fit)).parameters.items():
        if param.kind is inspect.Parameter.VAR_KEYWORD and name in arguments:
            arguments.update(arguments.pop(name))
    return arguments


class SklearnTrainingCall(sessions.TrainingCall):
    """One outermost ``fit``/``fit_transform``/``fit_predict`` of an estimator."""

    method = "fit"

    def log(self, result: Any) -> None:
        estimator = self.args[0]
        fit = getattr(type(estimator), self.method)
        arguments = _bound_arguments(fit, self.args, self.kwargs)
        names = [n for n in arguments if n != "self"]
        X = arguments.get("X", arguments.get(names[0]) if names else None)
        y = arguments.get("y", arguments.get("Y"))
        sample_weight = arguments.get("sample_weight")
        run, client = self.run, self.run.client
        search = is_search(estimator)
        self.step("log the estimator tags", client.log_batch, run.run_id,
                  tags=tag_entities(estimator_tags(estimator)), synchronous=True)
        params = search_params(estimator) if search else estimator.get_params(deep=True)
        self.step("log the params", client.log_batch, run.run_id, params=param_entities(params), synchronous=True)
        self.step("log the training metrics", self._log_metrics, estimator, X, y, sample_weight, search)
        if self.config.log_datasets:
            self.step("log the training dataset", self._log_dataset, X, y)
        if search:
            self.step("log the search results", client.log_text, run.run_id, cv_results_csv(estimator),
                      "cv_results.csv")
            self.step("log the search candidates as child runs", log_child_runs, run, estimator,
                      self.config.option("max_tuning_runs", 5))
        if self.config.log_models:
            self.step("log the model", self._log_model, estimator, X, "model")
            best = getattr(estimator, "best_estimator_", None) if search else None
            if best is not None:
                self.step("log the best estimator", self._log_model, best, X, "best_estimator")

    def _log_metrics(self, estimator: Any, X: Any, y: Any, sample_weight: Any, search: bool) -> None:
        metrics = training_metrics(estimator, X, y, sample_weight, self.config.option("pos_label"))
        if search:
            metrics.update(search_metrics(estimator))
        if metrics:
            now = int(time.time() * 1000)
            self.run.client.log_batch(self.run.run_id, metrics=[Metric(k, v, now, 0) for k, v in metrics.items()],
                                      synchronous=True)

    def _log_dataset(self, X: Any, y: Any) -> None:
        entity = training_input(X, y)
        if entity is not None:
            self.run.client.log_inputs(self.run.run_id, [entity])

    def _log_model(self, estimator: Any, X: Any, name: str) -> None:
        from runyard.flavors import sklearn as flavor  # noqa: PLC0415 - the model stack loads on use

        predict = getattr(estimator, "predict", None)
        fmt = self.config.option("serialization_format") or flavor.SERIALIZATION_FORMAT_SKOPS
        log_fitted_model(self.config, self.run, flavor.save_model, "sk_model", estimator, first_rows(X), predict,
                         name=name, serialization_format=fmt)


def _call_class(method: str) -> type[SklearnTrainingCall]:
    return type(f"Sklearn_{method}_Call", (SklearnTrainingCall,), {"method": method})


def autolog(log_input_examples: bool = False, log_model_signatures: bool = True, log_models: bool = True,
            log_datasets: bool = True, disable: bool = False, exclusive: bool = False,
            disable_for_unsupported_versions: bool = False, silent: bool = False, max_tuning_runs: int | None = 5,
            log_post_training_metrics: bool = True, serialization_format: str | None = None,
            registered_model_name: str | None = None, pos_label: Any = None,
            extra_tags: dict[str, Any] | None = None) -> None:
    """Enable (or, with ``disable=True``, disable) autologging of scikit-learn estimators.

    Every ``fit``/``fit_transform``/``fit_predict`` then logs params, training metrics, tags and
    the fitted model into the active run, or into a run it starts and ends. Searches
    (GridSearchCV, RandomizedSearchCV) add child runs for the ``max_tuning_runs`` best candidates.
    ``serialization_format`` defaults to runyard's scikit-learn default, ``skops``. A logging
    failure is an ``AutologgingWarning``; training always returns its normal result.
    ``log_post_training_metrics`` is accepted for compatibility; post-training metrics are not
    captured yet.
    """
    if disable or (disable_for_unsupported_versions and not configs.is_supported_version(FLAVOR_NAME)):
        configs.clear_config(FLAVOR_NAME)
        patching.unpatch(FLAVOR_NAME)
        return
    configs.set_config(configs.AutologConfig(
        FLAVOR_NAME, log_models=log_models, log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures, log_datasets=log_datasets, exclusive=exclusive, silent=silent,
        registered_model_name=registered_model_name, extra_tags=extra_tags,
        options={"max_tuning_runs": max_tuning_runs, "log_post_training_metrics": log_post_training_metrics,
                 "serialization_format": serialization_format, "pos_label": pos_label}))
    if patching.patched_count(FLAVOR_NAME):
        return
    for cls in _estimator_classes():
        for method in FIT_METHODS:
            if hasattr(cls, method):
                patching.patch(FLAVOR_NAME, cls, method, sessions.patched_training(FLAVOR_NAME, _call_class(method)))
