"""XGBoost autologging: ``xgboost.train`` and ``fit`` of the scikit-learn API classes.

``xgboost.train`` logs its booster params and plain arguments, every evaluation metric at each
iteration (a training callback writes them in batches while training runs), ``best_iteration``
and ``stopped_iteration`` with early stopping, ``feature_importance_<type>.json`` and the booster.
``XGBClassifier.fit`` and friends log the estimator's XGBoost params, the ``evals_result()``
history, the importances, the training data and the fitted estimator; the ``train`` call they
make inside is a nested call and logs nothing of its own.
"""

from __future__ import annotations

from typing import Any

from runyard.autologging import boosting, configs, patching, sessions
from runyard.autologging.datasets import training_input
from runyard.autologging.model_logging import first_rows, log_fitted_model

FLAVOR_NAME = "xgboost"
_NOT_PARAMS = ("dtrain", "evals", "obj", "evals_result", "xgb_model", "callbacks")


def _importances(booster: Any, types: list[str]) -> dict[str, dict[str, float]]:
    return {t: booster.get_score(importance_type=t) for t in types}


def _dmatrix_sample(dtrain: Any) -> Any:
    """First rows of a DMatrix, for the signature only (missing values read back as zeros, so they
    are no faithful input example): a DataFrame when the DMatrix names its features (columns
    signature), else a float64 array (tensor signature, which accepts unnamed array input)."""
    import pandas as pd  # noqa: PLC0415

    rows = dtrain.get_data()[: 5].toarray().astype("float64")  # double accepts float32 input too
    return pd.DataFrame(rows, columns=dtrain.feature_names) if dtrain.feature_names else rows


class XGBoostTrainCall(sessions.TrainingCall):
    """One outermost ``xgboost.train``."""

    def prepare(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        import xgboost as xgb  # noqa: PLC0415

        self.arguments = boosting.call_arguments(xgb.train, self.args, self.kwargs)
        self.buffer = sessions.MetricBuffer(self.config, self.run)
        buffer = self.buffer

        class _LogIterations(xgb.callback.TrainingCallback):
            def after_iteration(self, model: Any, epoch: int, evals_log: dict[str, Any]) -> bool:
                buffer.add(lambda: {f"{data}-{metric}": values[-1] for data, metrics in evals_log.items()
                                    for metric, values in metrics.items()
                                    if values and not isinstance(values[-1], tuple)}, epoch)
                return False

        return boosting.with_callback(xgb.train, self.args, self.kwargs, _LogIterations())

    def log(self, booster: Any) -> None:
        arguments = getattr(self, "arguments", None) or {}
        self.step("log the params", boosting.log_params, self.run, boosting.train_params(arguments, _NOT_PARAMS))
        if arguments.get("early_stopping_rounds") is not None and hasattr(booster, "best_iteration"):
            self.step("log the early stopping metrics", boosting.log_metrics, self.run,
                      {"stopped_iteration": booster.num_boosted_rounds() - 1,
                       "best_iteration": booster.best_iteration})
        types = self.config.option("importance_types") or ["weight"]
        self.step("log feature importances", boosting.log_importances, self.run, _importances(booster, types))
        if self.config.log_models:
            dtrain = arguments.get("dtrain")
            self.step("log the model", self._log_model, booster, dtrain)

    def _log_model(self, booster: Any, dtrain: Any) -> None:
        import xgboost as xgb  # noqa: PLC0415

        from runyard.flavors import xgboost as flavor  # noqa: PLC0415

        sample = self.step("read a sample of the training data", _dmatrix_sample, dtrain) if dtrain is not None else None
        log_fitted_model(self.config, self.run, flavor.save_model, "xgb_model", booster, None,
                         lambda rows: booster.predict(xgb.DMatrix(rows)), signature_sample=sample,
                         model_format=self.config.option("model_format", "ubj"))

    def finish(self, failed: bool) -> None:
        buffer = getattr(self, "buffer", None)
        if buffer is not None:
            buffer.flush()


class XGBoostFitCall(sessions.TrainingCall):
    """One outermost ``fit`` of an XGBoost scikit-learn API model."""

    def log(self, result: Any) -> None:
        estimator = self.args[0]
        arguments = boosting.call_arguments(type(estimator).fit, self.args, self.kwargs)
        X, y = arguments.get("X"), arguments.get("y")
        params = {**estimator.get_xgb_params(), "num_boost_round": estimator.n_estimators,
                  "early_stopping_rounds": estimator.early_stopping_rounds}
        self.step("log the params", boosting.log_params, self.run, params)
        self.step("log the metric history", self._log_history, estimator)
        types = self.config.option("importance_types") or ["weight"]
        self.step("log feature importances", boosting.log_importances, self.run,
                  _importances(estimator.get_booster(), types))
        if self.config.log_datasets:
            entity = training_input(X, y)
            if entity is not None:
                self.step("log the training dataset", self.run.client.log_inputs, self.run.run_id, [entity])
        if self.config.log_models:
            self.step("log the model", self._log_model, estimator, X)

    def _log_history(self, estimator: Any) -> None:
        history = estimator.evals_result() if getattr(estimator, "evals_result_", None) else {}
        boosting.log_histories(self.run, history)
        best = getattr(estimator, "best_iteration", None) if estimator.early_stopping_rounds else None
        if best is not None:
            boosting.log_metrics(self.run, {"best_iteration": best,
                                            "stopped_iteration": estimator.get_booster().num_boosted_rounds() - 1})

    def _log_model(self, estimator: Any, X: Any) -> None:
        from runyard.flavors import xgboost as flavor  # noqa: PLC0415

        log_fitted_model(self.config, self.run, flavor.save_model, "xgb_model", estimator, first_rows(X),
                         estimator.predict, model_format=self.config.option("model_format", "ubj"))


def autolog(importance_types: list[str] | None = None, log_input_examples: bool = False,
            log_model_signatures: bool = True, log_models: bool = True, log_datasets: bool = True,
            disable: bool = False, exclusive: bool = False, disable_for_unsupported_versions: bool = False,
            silent: bool = False, registered_model_name: str | None = None, model_format: str = "ubj",
            extra_tags: dict[str, Any] | None = None) -> None:
    """Enable (or, with ``disable=True``, disable) autologging of XGBoost training: ``xgboost.train``
    and ``fit`` of the scikit-learn API models log params, per-iteration metrics, feature
    importances (``importance_types``, default ``["weight"]``) and the model (``model_format``).
    A logging failure is an ``AutologgingWarning``; training always returns its normal result."""
    if disable or (disable_for_unsupported_versions and not configs.is_supported_version(FLAVOR_NAME)):
        configs.clear_config(FLAVOR_NAME)
        patching.unpatch(FLAVOR_NAME)
        return
    configs.set_config(configs.AutologConfig(
        FLAVOR_NAME, log_models=log_models, log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures, log_datasets=log_datasets, exclusive=exclusive, silent=silent,
        registered_model_name=registered_model_name, extra_tags=extra_tags,
        options={"importance_types": list(importance_types) if importance_types else None,
                 "model_format": model_format}))
    if patching.patched_count(FLAVOR_NAME):
        return
    import xgboost as xgb  # noqa: PLC0415
    import xgboost.training  # noqa: PLC0415

    train = sessions.patched_training(FLAVOR_NAME, XGBoostTrainCall)
    patching.patch(FLAVOR_NAME, xgb, "train", train)
    patching.patch(FLAVOR_NAME, xgboost.training, "train", train)
    boosting.patch_fit_methods(FLAVOR_NAME, xgb.XGBModel, XGBoostFitCall)
