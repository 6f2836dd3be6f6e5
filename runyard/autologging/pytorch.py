"""PyTorch Lightning autologging: ``Trainer.fit`` of ``lightning.pytorch`` and ``pytorch_lightning``.

As MLflow logs it: the params ``epochs`` (``max_epochs``), ``optimizer_name`` and the first
optimizer's defaults (``lr``, ...), EarlyStopping's settings; the trainer's ``callback_metrics``
after every ``log_every_n_epoch``-th training epoch at step = epoch (and, with ``log_every_n_step``,
the step-logged ones at step = global step); EarlyStopping's outcome (``stopped_epoch``,
``restored_epoch``, ``best_score``, ``wait_count``); ``model_summary.txt``; the trained module as
``model`` (pickled, with a signature from the first batch ``forward`` saw); and, with
``checkpoint=True``, checkpoints under ``checkpoints/`` (``load_checkpoint`` reads them back).
"""

from __future__ import annotations

import importlib
import logging
import os
import posixpath
import sys
import tempfile
from typing import Any

from runyard.autologging import configs, patching, sessions
from runyard.autologging.boosting import call_arguments, log_metrics, log_params
from runyard.errors import InvalidParameterValue
from runyard.autologging.model_logging import log_fitted_model
from runyard.fluent.runs import active_run
from runyard.fluent.tracking_uri import current_client

FLAVOR_NAME = "pytorch"
LATEST_CHECKPOINT_TAG = "mlflow.latest_checkpoint_artifact"
CHECKPOINT_DIR = "checkpoints"
_LIGHTNING_PACKAGES = ("lightning.pytorch", "pytorch_lightning")
_logger = logging.getLogger("runyard.autologging")


def _float(value: Any) -> float:
    return float(value.item() if hasattr(value, "item") else value)


def _optimizer_params(trainer: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"epochs": trainer.max_epochs}
    optimizers = getattr(trainer, "optimizers", None) or []
    if optimizers:
        optimizer = getattr(optimizers[0], "_optimizer", optimizers[0])  # a LightningOptimizer wraps it
        params["optimizer_name"] = type(optimizer).__name__
        params.update(getattr(optimizer, "defaults", None) or {})
    return params


class _Checkpoints:
    """MLflow's checkpoint layout: ``checkpoints/latest_checkpoint.pth`` (+ ``latest_checkpoint_metrics.json``)
    when only the best is kept, ``checkpoints/epoch_<n>/checkpoint.pth`` (or ``global_step_<n>``) otherwise;
    ``.weights.pth`` for weights only. The run's ``mlflow.latest_checkpoint_artifact`` tag names the latest."""

    def __init__(self, call: "LightningFitCall") -> None:
        self.call = call
        option = call.config.option
        self.monitor, self.mode = option("checkpoint_monitor"), option("checkpoint_mode")
        self.best_only, self.weights_only = option("checkpoint_save_best_only"), option("checkpoint_save_weights_only")
        self.freq = option("checkpoint_save_freq")
        self.best: float | None = None
        if self.best_only and (self.monitor is None or self.mode not in ("min", "max")):
            raise InvalidParameterValue("checkpoint_save_best_only needs checkpoint_monitor and checkpoint_mode "
                                        f"'min' or 'max' (got {self.monitor!r}, {self.mode!r})")

    def _better(self, value: float) -> bool:
        return self.best is None or (value < self.best if self.mode == "min" else value > self.best)

    def maybe_save(self, trainer: Any) -> None:
        metrics = {k: _float(v) for k, v in trainer.callback_metrics.items()}
        if self.best_only:
            if self.monitor not in metrics:
                _logger.debug("No checkpoint: the monitored metric %r was not logged", self.monitor)
                return
            if not self._better(metrics[self.monitor]):
                return
            self.best = metrics[self.monitor]
        stem = "checkpoint" + (".weights" if self.weights_only else "")
        if self.best_only:
            directory, filename, metrics_file = CHECKPOINT_DIR, f"latest_{stem}.pth", "latest_checkpoint_metrics.json"
        else:
            sub = f"epoch_{trainer.current_epoch}" if self.freq == "epoch" else f"global_step_{trainer.global_step}"
            directory, filename, metrics_file = f"{CHECKPOINT_DIR}/{sub}", f"{stem}.pth", "checkpoint_metrics.json"
        run = self.call.run
        run.client.set_tag(run.run_id, LATEST_CHECKPOINT_TAG, f"{directory}/{filename}")
        run.client.log_dict(run.run_id, {**metrics, "epoch": trainer.current_epoch, "global_step": trainer.global_step},
                            f"{directory}/{metrics_file}")
        with tempfile.TemporaryDirectory(prefix="runyard-checkpoint-") as tmp:
            trainer.save_checkpoint(os.path.join(tmp, filename), weights_only=self.weights_only)
            run.client.log_artifact(run.run_id, os.path.join(tmp, filename), directory)


def _callback_class(callback_base: type) -> type:
    """A Lightning callback (of the trainer's own package) that logs through a ``LightningFitCall``."""

    class RunyardLightningCallback(callback_base):  # type: ignore[misc, valid-type]
        def __init__(self, call: "LightningFitCall") -> None:
            self.call = call

        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            self.call.step("log the params", self.call.on_train_start, trainer, pl_module)

        def on_train_batch_end(self, trainer: Any, pl_module: Any, *args: Any) -> None:
            self.call.step("log the step metrics", self.call.on_train_batch_end, trainer)

        def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            self.call.step("log the epoch metrics", self.call.on_train_epoch_end, trainer, pl_module)

    return RunyardLightningCallback


class LightningFitCall(sessions.TrainingCall):
    """One outermost ``Trainer.fit``: a callback logs while training runs, the rest is logged after."""

    def prepare(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        trainer = self.args[0]
        self.trainer = trainer
        self.buffer = sessions.MetricBuffer(self.config, self.run)
        self.step_metrics: set[str] = set()
        self.epoch_metrics: set[str] = set()
        self.steps_per_batch = 1
        self.sample: tuple[Any, Any] | None = None
        self.hook: Any = None
        package = _package_of(trainer)
        self.early_stopping = next((c for c in trainer.callbacks
                                    if isinstance(c, package.callbacks.EarlyStopping)), None)
        if self.early_stopping is not None:
            log_params(self.run, {p: getattr(self.early_stopping, p) for p in
                                  ("monitor", "mode", "patience", "min_delta", "stopped_epoch")
                                  if hasattr(self.early_stopping, p)})
        self.added = [_callback_class(package.Callback)(self)]
        if self.config.option("checkpoint"):
            checkpoints = _Checkpoints(self)
            self.added.append(_checkpoint_callback_class(package.Callback)(self, checkpoints))
        trainer.callbacks.extend(self.added)
        return self.args, self.kwargs

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self.run.client.set_tag(self.run.run_id, "Mode", "training")
        self.steps_per_batch = max(1, len(getattr(trainer, "optimizers", None) or [None]))
        log_params(self.run, _optimizer_params(trainer))
        if self.config.log_models and self.config.log_model_signatures:
            self.hook = pl_module.register_forward_hook(self._capture_first_batch)

    def _capture_first_batch(self, module: Any, inputs: tuple[Any, ...], output: Any) -> None:
        self.step("capture a sample for the signature", self._keep_sample, inputs, output)
        if self.hook is not None:
            self.hook.remove()
            self.hook = None

    def _keep_sample(self, inputs: tuple[Any, ...], output: Any) -> None:
        import torch  # noqa: PLC0415

        if self.sample is None and len(inputs) == 1 and isinstance(inputs[0], torch.Tensor) \
                and isinstance(output, torch.Tensor):
            self.sample = (inputs[0][:5].detach().cpu().numpy(), output[:5].detach().cpu().numpy())

    def on_train_batch_end(self, trainer: Any) -> None:
        every = self.config.option("log_every_n_step")
        if not every or trainer.sanity_checking:
            return
        metrics = trainer.callback_metrics
        chosen = {name: _float(value) for name, value in metrics.items()
                  if name not in self.epoch_metrics and f"{name}_step" not in metrics}
        self.step_metrics.update(chosen)
        if ((trainer.global_step // self.steps_per_batch) + 1) % every == 0:
            self.buffer.add(lambda: chosen, trainer.global_step)

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.sanity_checking:
            return
        chosen = {name: _float(value) for name, value in trainer.callback_metrics.items()
                  if name not in self.step_metrics}
        self.epoch_metrics.update(chosen)
        if (pl_module.current_epoch + 1) % (self.config.option("log_every_n_epoch") or 1) == 0:
            self.buffer.add(lambda: chosen, pl_module.current_epoch)

    def log(self, result: Any) -> None:
        self.step("flush the metrics", self.buffer.flush)
        model = call_arguments(type(self.trainer).fit, self.args, self.kwargs).get("model") or self.trainer.model
        if self.early_stopping is not None:
            self.step("log the early stopping metrics", self._log_early_stopping)
        self.step("log the model summary", self._log_summary, model)
        if self.config.log_models:
            self.step("log the model", self._log_model, model)

    def _log_early_stopping(self) -> None:
        stopping = self.early_stopping
        if not stopping.stopped_epoch:
            return
        metrics = {"stopped_epoch": stopping.stopped_epoch,
                   "restored_epoch": stopping.stopped_epoch - max(1, stopping.patience)}
        if getattr(stopping, "best_score", None) is not None:
            metrics["best_score"] = _float(stopping.best_score)
        if hasattr(stopping, "wait_count"):
            metrics["wait_count"] = stopping.wait_count
        log_metrics(self.run, metrics)

    def _log_summary(self, model: Any) -> None:
        package = _package_of(self.trainer)
        summary = importlib.import_module(f"{package.__name__}.utilities.model_summary").ModelSummary
        self.run.client.log_text(self.run.run_id, str(summary(model, max_depth=-1)), "model_summary.txt")

    def _log_model(self, model: Any) -> None:
        from runyard.flavors import pytorch as flavor  # noqa: PLC0415

        inputs, outputs = self.sample if self.sample is not None else (None, None)
        # The signature comes from the first batch forward() saw in training (no input example, as in MLflow).
        log_fitted_model(self.config, self.run, flavor.save_model, "pytorch_model", model, None, lambda _: outputs,
                         signature_sample=inputs, serialization_format="pickle")
        best = getattr(getattr(self.trainer, "checkpoint_callback", None), "best_model_path", None)
        if self.early_stopping is not None and best:
            self.run.client.log_artifact(self.run.run_id, best, "restored_model_checkpoint")

    def finish(self, failed: bool) -> None:
        if self.hook is not None:
            self.hook.remove()
        trainer = getattr(self, "trainer", None)
        for callback in getattr(self, "added", ()):
            if trainer is not None and callback in trainer.callbacks:
                trainer.callbacks.remove(callback)
        buffer = getattr(self, "buffer", None)
        if buffer is not None:
            buffer.flush()


def _checkpoint_callback_class(callback_base: type) -> type:
    class RunyardCheckpointCallback(callback_base):  # type: ignore[misc, valid-type]
        def __init__(self, call: LightningFitCall, checkpoints: _Checkpoints) -> None:
            self.call = call
            self.checkpoints = checkpoints

        def on_train_batch_end(self, trainer: Any, pl_module: Any, *args: Any) -> None:
            freq = self.checkpoints.freq
            if isinstance(freq, int) and trainer.global_step > 0 and trainer.global_step % freq == 0:
                self.call.step("log a checkpoint", self.checkpoints.maybe_save, trainer)

        def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            if self.checkpoints.freq == "epoch":
                self.call.step("log a checkpoint", self.checkpoints.maybe_save, trainer)

    return RunyardCheckpointCallback


def _package_of(trainer: Any) -> Any:
    """The Lightning package (``lightning.pytorch`` or ``pytorch_lightning``) whose Trainer this is."""
    for package in _LIGHTNING_PACKAGES:
        module = sys.modules.get(package)  # a Trainer's package is imported already
        if module is not None and isinstance(trainer, module.Trainer):
            return module
    raise InvalidParameterValue(f"{type(trainer).__name__} is not a Lightning Trainer")


def _trainer_classes() -> list[type]:
    found = []
    for package in _LIGHTNING_PACKAGES:
        try:
            found.append(importlib.import_module(package).Trainer)
        except ImportError:
            continue
    return found


def autolog(log_every_n_epoch: int = 1, log_every_n_step: int | None = None, log_models: bool = True,
            log_datasets: bool = True, disable: bool = False, exclusive: bool = False,
            disable_for_unsupported_versions: bool = False, silent: bool = False,
            registered_model_name: str | None = None, extra_tags: dict[str, Any] | None = None,
            checkpoint: bool = True, checkpoint_monitor: str | None = "val_loss", checkpoint_mode: str = "min",
            checkpoint_save_best_only: bool = True, checkpoint_save_weights_only: bool = False,
            checkpoint_save_freq: str | int = "epoch", log_model_signatures: bool = True) -> None:
    """Enable (or, with ``disable=True``, disable) autologging of PyTorch Lightning training:
    ``Trainer.fit`` logs params, per-epoch metrics, the model and checkpoints (see the module doc).
    ``log_datasets`` is accepted for compatibility. A logging failure is an ``AutologgingWarning``;
    training always returns its normal result. Needs ``lightning`` or ``pytorch-lightning``."""
    if disable or (disable_for_unsupported_versions and not configs.is_supported_version(FLAVOR_NAME)):
        configs.clear_config(FLAVOR_NAME)
        patching.unpatch(FLAVOR_NAME)
        return
    trainers = _trainer_classes()
    if not trainers:
        raise InvalidParameterValue("runyard.pytorch.autolog logs PyTorch Lightning training: install lightning "
                                    "(or pytorch-lightning)")
    configs.set_config(configs.AutologConfig(
        FLAVOR_NAME, log_models=log_models, log_model_signatures=log_model_signatures, log_datasets=log_datasets,
        exclusive=exclusive, silent=silent, registered_model_name=registered_model_name, extra_tags=extra_tags,
        options={"log_every_n_epoch": log_every_n_epoch, "log_every_n_step": log_every_n_step,
                 "checkpoint": checkpoint, "checkpoint_monitor": checkpoint_monitor,
                 "checkpoint_mode": checkpoint_mode, "checkpoint_save_best_only": checkpoint_save_best_only,
                 "checkpoint_save_weights_only": checkpoint_save_weights_only,
                 "checkpoint_save_freq": checkpoint_save_freq}))
    if patching.patched_count(FLAVOR_NAME):
        return
    for trainer in trainers:
        patching.patch(FLAVOR_NAME, trainer, "fit", sessions.patched_training(FLAVOR_NAME, LightningFitCall))


def load_checkpoint(model_class: type, run_id: str | None = None, epoch: int | None = None,
                    global_step: int | None = None, kwargs: dict[str, Any] | None = None) -> Any:
    """The LightningModule ``model_class`` restored from a checkpoint autolog logged in ``run_id``
    (default: the active run): the latest, or that of ``epoch`` or ``global_step``."""
    if epoch is not None and global_step is not None:
        raise InvalidParameterValue("Give at most one of epoch and global_step")
    client = current_client()
    if run_id is None:
        run = active_run()
        if run is None:
            raise InvalidParameterValue("No active run: pass the run_id of the run that logged the checkpoints")
        run_id = run.info.run_id
    latest = client.get_run(run_id).data.tags.get(LATEST_CHECKPOINT_TAG)
    if latest is None:
        raise InvalidParameterValue(f"Run {run_id} has no logged checkpoint")
    path = latest
    if epoch is not None or global_step is not None:
        sub = f"epoch_{epoch}" if epoch is not None else f"global_step_{global_step}"
        path = f"{CHECKPOINT_DIR}/{sub}/{posixpath.basename(latest)}"
    with tempfile.TemporaryDirectory(prefix="runyard-checkpoint-") as tmp:
        local = client.download_artifacts(run_id, path, tmp)
        return model_class.load_from_checkpoint(local, **(kwargs or {}))
