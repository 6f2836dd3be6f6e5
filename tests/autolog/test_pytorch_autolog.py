"""PyTorch Lightning autologging: ``Trainer.fit`` logs the trainer's and optimizer's params, the
callback metrics per epoch (and per step on request), EarlyStopping, the model summary, the model
and checkpoints; ``runyard.autolog()`` includes it because Lightning is installed here."""

from __future__ import annotations

import lightning.pytorch as L
import numpy as np
import pytest
import torch

import runyard
from runyard.autologging import configs

# Lightning 2.6 calls a pytree API that torch 2.13 deprecates; nothing of runyard's.
pytestmark = pytest.mark.filterwarnings(r"ignore:`isinstance\(treespec, LeafSpec\)` is deprecated:FutureWarning")


class Tiny(L.LightningModule):
    def __init__(self, lr: float = 0.1) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Linear(3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self(x), y)
        self.log("train_loss", loss, on_epoch=True, on_step=False)
        self.log("batch_loss", loss, on_step=True, on_epoch=False)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def _loader() -> torch.utils.data.DataLoader:
    generator = torch.Generator().manual_seed(0)
    X = torch.randn(32, 3, generator=generator)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, X.sum(1, keepdim=True)), batch_size=8)


def _fit(tmp_path, max_epochs: int = 3, callbacks: list | None = None) -> Tiny:
    torch.manual_seed(0)
    model = Tiny()
    trainer = L.Trainer(max_epochs=max_epochs, logger=False, enable_progress_bar=False, enable_model_summary=False,
                        enable_checkpointing=False, accelerator="cpu", default_root_dir=tmp_path,
                        callbacks=callbacks or [])
    trainer.fit(model, _loader(), _loader())
    assert not any(type(c).__name__.startswith("Runyard") for c in trainer.callbacks)  # taken out again
    return model


def _only_run():
    (run,) = runyard.MlflowClient().search_runs(["0"])
    return run


def _history(run, key):
    return [(m.step, m.value) for m in runyard.MlflowClient().get_metric_history(run.info.run_id, key)]


def test_fit_logs_params_epoch_metrics_model_and_checkpoint(tracking, tmp_path):
    runyard.pytorch.autolog()
    model = _fit(tmp_path)
    run = _only_run()
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "pytorch" and run.data.tags["Mode"] == "training"
    params = run.data.params
    assert (params["epochs"], params["optimizer_name"], params["lr"], params["momentum"]) == ("3", "SGD", "0.1", "0")
    for key in ("train_loss", "val_loss", "batch_loss"):  # a step-logged metric too: its last value per epoch
        assert [step for step, _ in _history(run, key)] == [0, 1, 2]
    client = runyard.MlflowClient()
    assert {f.path for f in client.list_artifacts(run.info.run_id)} == {"checkpoints", "model_summary.txt"}
    assert run.data.tags["mlflow.latest_checkpoint_artifact"] == "checkpoints/latest_checkpoint.pth"
    assert "Linear" in runyard.artifacts.load_text(f"{run.info.artifact_uri}/model_summary.txt")
    loaded = runyard.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert loaded.metadata.get_input_schema().to_dict() == [
        {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": (-1, 3)}}]
    X = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    with torch.no_grad():
        expected = model.eval()(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(loaded.predict(X), expected, rtol=1e-6)
    restored = runyard.pytorch.load_checkpoint(Tiny, run.info.run_id)
    assert isinstance(restored, Tiny) and restored.hparams.lr == 0.1


def test_step_metrics_early_stopping_and_per_epoch_checkpoints(tracking, tmp_path):
    runyard.pytorch.autolog(log_every_n_step=2, checkpoint_save_best_only=False, log_models=False)
    stopping = L.callbacks.EarlyStopping(monitor="val_loss", patience=1, min_delta=1e6)  # never improves enough
    _fit(tmp_path, max_epochs=5, callbacks=[stopping])
    run = _only_run()
    assert run.data.params["monitor"] == "val_loss" and run.data.params["patience"] == "1"
    assert run.data.metrics["stopped_epoch"] == stopping.stopped_epoch > 0
    assert run.data.metrics["restored_epoch"] == stopping.stopped_epoch - 1
    assert [step for step, _ in _history(run, "batch_loss")][:3] == [1, 3, 5]  # every 2nd global step
    assert [step for step, _ in _history(run, "val_loss")] == list(range(stopping.stopped_epoch + 1))
    client = runyard.MlflowClient()
    epochs = {f.path for f in client.list_artifacts(run.info.run_id, "checkpoints")}
    assert epochs == {f"checkpoints/epoch_{n}" for n in range(stopping.stopped_epoch + 1)}
    assert runyard.pytorch.load_checkpoint(Tiny, run.info.run_id, epoch=0).hparams.lr == 0.1
    assert runyard.search_logged_models(output_format="list") == []  # log_models=False


def test_disable_and_runyard_autolog(tracking, tmp_path):
    runyard.autolog(exclude_flavors=["pytorch"])
    assert configs.get_config("pytorch") is None
    runyard.autolog(log_models=False)
    assert configs.get_config("pytorch") is not None  # Lightning is installed here
    runyard.pytorch.autolog(disable=True)
    _fit(tmp_path, max_epochs=1)
    assert runyard.MlflowClient().search_runs(["0"]) == []
