"""``runyard.pytorch``: save, log and load PyTorch models (a ``torch.export`` program where the input
example allows, pickled otherwise), state dicts, and ``autolog`` for PyTorch Lightning training.

Models saved pickled (``serialization_format="pickle"``, or where ``torch.export`` cannot be used)
run code when loaded: load those only from sources you trust."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from runyard.autologging.pytorch import autolog, load_checkpoint
from runyard.client.artifacts import download_artifacts as _download_artifacts
from runyard.flavors import pytorch as _pytorch
from runyard.flavors.pytorch import (
    FLAVOR_NAME,
    SERIALIZATION_FORMAT_PICKLE,
    SERIALIZATION_FORMAT_PT2,
    get_default_conda_env,
    get_default_pip_requirements,
    save_state_dict,
)
from runyard.fluent import log_artifacts as _log_artifacts, models as _models
from runyard.models.model import Model, ModelInfo

__all__ = ["FLAVOR_NAME", "SERIALIZATION_FORMAT_PICKLE", "SERIALIZATION_FORMAT_PT2", "autolog",
           "get_default_conda_env", "get_default_pip_requirements", "load_checkpoint", "load_model",
           "load_state_dict", "log_model", "log_state_dict", "save_model", "save_state_dict"]


def save_model(pytorch_model: Any, path: str | os.PathLike[str], conda_env: Any = None,
               mlflow_model: Model | None = None, code_paths: list[str] | None = None, pickle_module: Any = None,
               signature: Any = None, input_example: Any = None, extra_files: list[str] | None = None,
               pip_requirements: Any = None, extra_pip_requirements: Any = None,
               metadata: dict[str, Any] | None = None, export_model: bool = False,
               serialization_format: str | None = None, **kwargs: Any) -> None:
    """Save a ``torch.nn.Module`` as a model directory at ``path``: ``serialization_format="pt2"``
    (``torch.export``; the default where the input example is made of tensors) or ``"pickle"``;
    ``extra_files`` (paths or artifact URIs) are copied in; ``kwargs`` go to ``torch.save``."""
    with _models.local_artifacts(_numbered(extra_files)) as local:
        _pytorch.save_model(pytorch_model, path, conda_env=conda_env, mlflow_model=mlflow_model,
                            code_paths=code_paths, pickle_module=pickle_module, signature=signature,
                            input_example=input_example, extra_files=_listed(local, extra_files),
                            pip_requirements=pip_requirements, extra_pip_requirements=extra_pip_requirements,
                            metadata=metadata, export_model=export_model, serialization_format=serialization_format,
                            **kwargs)


def log_model(pytorch_model: Any, artifact_path: str | None = None, conda_env: Any = None,
              code_paths: list[str] | None = None, pickle_module: Any = None, registered_model_name: str | None = None,
              signature: Any = None, input_example: Any = None, await_registration_for: int = 300,
              extra_files: list[str] | None = None, pip_requirements: Any = None, extra_pip_requirements: Any = None,
              metadata: dict[str, Any] | None = None, name: str | None = None, params: dict[str, Any] | None = None,
              tags: dict[str, Any] | None = None, model_type: str | None = None, step: int = 0,
              model_id: str | None = None, export_model: bool = False, serialization_format: str | None = None,
              **kwargs: Any) -> ModelInfo:
    """Log a PyTorch model as a logged model of the active run; returns its ModelInfo."""
    with _models.local_artifacts(_numbered(extra_files)) as local:
        return _models.log_model(
            _pytorch.save_model, name, artifact_path=artifact_path, params=params, tags=tags, model_type=model_type,
            step=step, model_id=model_id, registered_model_name=registered_model_name, pytorch_model=pytorch_model,
            conda_env=conda_env, code_paths=code_paths, pickle_module=pickle_module, signature=signature,
            input_example=input_example, extra_files=_listed(local, extra_files), pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements, metadata=metadata, export_model=export_model,
            serialization_format=serialization_format, **kwargs)


def load_model(model_uri: str, dst_path: str | None = None, **kwargs: Any) -> Any:
    """The PyTorch model at a local path, ``runs:/``, ``models:/<model_id>``, ``s3://`` or
    ``mlflow-artifacts:/`` URI, in eval mode; ``device="cuda"`` moves it, other ``kwargs``
    (``map_location``, ...) go to ``torch.load``."""
    return _pytorch.load_model(_models.download_model(model_uri, dst_path), **kwargs)


def log_state_dict(state_dict: dict[str, Any], artifact_path: str, **kwargs: Any) -> None:
    """Log ``state_dict`` (``model.state_dict()``, or a checkpoint dict) as
    ``<artifact_path>/state_dict.pth`` of the active run; not a model, an artifact."""
    with tempfile.TemporaryDirectory(prefix="runyard-state-dict-") as tmp:
        save_state_dict(state_dict, tmp, **kwargs)
        _log_artifacts(tmp, artifact_path)


def load_state_dict(state_dict_uri: str, **kwargs: Any) -> Any:
    """The state dict logged at ``state_dict_uri`` (a local path, ``runs:/<run_id>/<path>``, ...);
    ``kwargs`` go to ``torch.load``."""
    with tempfile.TemporaryDirectory(prefix="runyard-state-dict-") as tmp:
        return _pytorch.load_state_dict_file(_download_artifacts(artifact_uri=state_dict_uri, dst_path=tmp), **kwargs)


def _numbered(extra_files: Any) -> dict[str, Any] | None:
    return {str(i): f for i, f in enumerate(extra_files)} if isinstance(extra_files, list) else None


def _listed(local: dict[str, Any] | None, extra_files: Any) -> Any:
    return [local[str(i)] for i in range(len(local))] if local is not None else extra_files
