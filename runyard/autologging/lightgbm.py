"""LightGBM autologging: ``lightgbm.train`` and ``fit`` of the scikit-learn API classes.

``lightgbm.train`` logs its params and plain arguments, every validation metric at each iteration
(``<valid_name>-<metric>``; a callback writes them in batches while training runs),
``best_iteration`` and ``stopped_iteration`` with early stopping, ``feature_importance_split.json``
and ``feature_importance_gain.json``, and the booster. ``LGBMClassifier.fit`` and friends log the
estimator's params, the ``evals_result_`` history, the importances, the training data and the
fitted estimator; the ``train`` call they make inside is nested and logs nothing of its own.
"""

from __future__ import annotations

from typing import Any

from runyard.autologging import boosting, configs, patching, sessions
from runyard.autologging.datasets import training_input
from runyard.autologging.model_logging import first_rows, log_fitted_model

FLAVOR_NAME = "lightgbm"
_NOT_PARAMS = ("train_set", "valid_sets", "valid_names", "feval", "init_model", "callbacks")
_IMPORTANCE_TYPES = ("split", "gain")


def _importances(booster: Any) -> dict[str, dict[str, float]]:
    names = booster.feature_name()
    return {t: dict(zip(names, booster.feature_importance(importance_type=t).tolist())) for t in _IMPORTANCE_TYPES}


def _early_stopping_metrics(booster: Any) -> dict[str, int]:
    best = getattr(booster, "best_iteration", 0) or 0
    if best <= 0:
        return {}
    return {"best_iteration": best, "stopped_iteration": booster.current_iteration()}


class LightGBMTrainCall(sessions.TrainingCall):
    """One outermost ``lightgbm.train``."""

    def prepare(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        import lightgbm as lgb  # noqa: PLC0415

        self.arguments = boosting.call_arguments(lgb.train, self.args, self.kwargs)
        train_set = self.arguments.get("train_set")
        # The raw data is freed once the Dataset is built: take what autolog needs before training.
        self.sample = first_rows(getattr(train_set, "data", None))
        self.dataset = self.step("describe the training dataset", training_input, getattr(train_set, "data", None),
                                 getattr(train_set, "label", None)) if self.config.log_datasets else None
        self.buffer = sessions.MetricBuffer(self.config, self.run)
        buffer = self.buffer

        def log_iteration(env: Any) -> None:
            buffer.add(lambda: {f"{entry[0]}-{entry[1]}": entry[2] for entry in env.evaluation_result_list or ()},
                       env.iteration - env.begin_iteration)

        log_iteration.order = 100  # type: ignore[attr-defined]  # after LightGBM's own callbacks
        return boosting.with_callback(lgb.train, self.args, self.kwargs, log_iteration)

    def log(self, booster: Any) -> None:
        arguments = getattr(self, "arguments", None) or {}
        self.step("log the params", boosting.log_params, self.run, boosting.train_params(arguments, _NOT_PARAMS))
        self.step("log the early stopping metrics", boosting.log_metrics, self.run, _early_stopping_metrics(booster))
        self.step("log feature importances", boosting.log_importances, self.run, _importances(booster))
        if getattr(self, "dataset", None) is not None:
            self.step("log the training dataset", self.run.client.log_inputs, self.run.run_id, [self.dataset])
        if self.config.log_models:
            self.step("log the model", self._log_model, booster)

    def _log_model(self, booster: Any) -> None:
        from runyard.flavors import lightgbm as flavor  # noqa: PLC0415

        log_fitted_model(self.config, self.run, flavor.save_model, "lgb_model", booster, getattr(self, "sample", None),
                         booster.predict)

    def finish(self, failed: bool) -> None:
        buffer = getattr(self, "buffer", None)
        if buffer is not None:
            buffer.flush()


class LightGBMFitCall(sessions.TrainingCall):
    """One outermost ``fit`` of a LightGBM scikit-learn API model."""

    def log(self, result: Any) -> None:
        estimator = self.args[0]
        arguments = boosting.call_arguments(type(estimator).fit, self.args, self.kwargs)
        X, y = arguments.get("X"), arguments.get("y")
        self.step("log the params", boosting.log_params, self.run, estimator.get_params(deep=True))
        self.step("log the metric history", boosting.log_histories, self.run, getattr(estimator, "evals_result_", {}))
        booster = estimator.booster_
        self.step("log the early stopping metrics", boosting.log_metrics, self.run, _early_stopping_metrics(booster))
        self.step("log feature importances", boosting.log_importances, self.run, _importances(booster))
        if self.config.log_datasets:
            entity = training_input(X, y)
            if entity is not None:
                self.step("log the training dataset", self.run.client.log_inputs, self.run.run_id, [entity])
        if self.config.log_models:
            self.step("log the model", self._log_model, estimator, X)

    def _log_model(self, estimator: Any, X: Any) -> None:
        from runyard.flavors import lightgbm as flavor  # noqa: PLC0415

        log_fitted_model(self.config, self.run, flavor.save_model, "lgb_model", estimator, first_rows(X),
                         estimator.predict)


def autolog(log_input_examples: bool = False, log_model_signatures: bool = True, log_models: bool = True,
            log_datasets: bool = True, disable: bool = False, exclusive: bool = False,
            disable_for_unsupported_versions: bool = False, silent: bool = False,
            registered_model_name: str | None = None, extra_tags: dict[str, Any] | None = None) -> None:
    """Enable (or, with ``disable=True``, disable) autologging of LightGBM training:
    ``lightgbm.train`` and ``fit`` of the scikit-learn API models log params, per-iteration
    metrics, feature importances and the model. A logging failure is an ``AutologgingWarning``;
    training always returns its normal result."""
    if disable or (disable_for_unsupported_versions and not configs.is_supported_version(FLAVOR_NAME)):
        configs.clear_config(FLAVOR_NAME)
        patching.unpatch(FLAVOR_NAME)
        return
    configs.set_config(configs.AutologConfig(
        FLAVOR_NAME, log_models=log_models, log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures, log_datasets=log_datasets, exclusive=exclusive, silent=silent,
        registered_model_name=registered_model_name, extra_tags=extra_tags))
    if patching.patched_count(FLAVOR_NAME):
        return
    import lightgbm as lgb  # noqa: PLC0415
    import lightgbm.engine  # noqa: PLC0415

    train = sessions.patched_training(FLAVOR_NAME, LightGBMTrainCall)
    patching.patch(FLAVOR_NAME, lgb, "train", train)
    patching.patch(FLAVOR_NAME, lightgbm.engine, "train", train)
    boosting.patch_fit_methods(FLAVOR_NAME, lgb.LGBMModel, LightGBMFitCall)
