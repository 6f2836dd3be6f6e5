"""``runyard.lightgbm``: save, log and load LightGBM models (a Booster as native text, scikit-learn
API models as skops by default), and ``autolog`` for LightGBM training.

Models saved with ``serialization_format="pickle"`` or ``"cloudpickle"`` run code when loaded:
load those only from sources you trust."""

from __future__ import annotations

from typing import Any

from runyard.autologging.lightgbm import autolog
from runyard.flavors import lightgbm as _lightgbm
from runyard.flavors.lightgbm import FLAVOR_NAME, get_default_pip_requirements, save_model
from runyard.fluent import models as _models
from runyard.models.model import ModelInfo

__all__ = ["FLAVOR_NAME", "autolog", "get_default_pip_requirements", "load_model", "log_model", "save_model"]


def log_model(lgb_model: Any, artifact_path: str | None = None, conda_env: Any = None,
              code_paths: list[str] | None = None, registered_model_name: str | None = None, signature: Any = None,
              input_example: Any = None, await_registration_for: int = 300, pip_requirements: Any = None,
              extra_pip_requirements: Any = None, metadata: dict[str, Any] | None = None, name: str | None = None,
              params: dict[str, Any] | None = None, tags: dict[str, Any] | None = None, model_type: str | None = None,
              step: int = 0, model_id: str | None = None, serialization_format: str | None = None,
              skops_trusted_types: list[str] | None = None) -> ModelInfo:
    """Log a LightGBM model as a logged model of the active run; returns its ModelInfo."""
    return _models.log_model(
        _lightgbm.save_model, name, artifact_path=artifact_path, params=params, tags=tags, model_type=model_type,
        step=step, model_id=model_id, registered_model_name=registered_model_name, lgb_model=lgb_model,
        conda_env=conda_env, code_paths=code_paths, signature=signature, input_example=input_example,
        pip_requirements=pip_requirements, extra_pip_requirements=extra_pip_requirements, metadata=metadata,
        serialization_format=serialization_format, skops_trusted_types=skops_trusted_types)


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """The LightGBM model (a Booster, or the scikit-learn API class it was saved as) at a local path,
    ``runs:/``, ``models:/<model_id>``, ``s3://`` or ``mlflow-artifacts:/`` URI."""
    return _lightgbm.load_model(_models.download_model(model_uri, dst_path))
