"""``runyard.sklearn``: save, log and load scikit-learn models (skops by default).

skops loads only the types it trusts; runyard also trusts the classes of scikit-learn, numpy and
scipy (so forests load), never functions or other packages' types. Models saved with
``serialization_format="pickle"`` or ``"cloudpickle"`` run code when loaded: trusted sources only.
"""

from __future__ import annotations

from typing import Any

from runyard.autologging.sklearn import autolog
from runyard.flavors import sklearn as _sklearn
from runyard.flavors.sklearn import (
    FLAVOR_NAME,
    SERIALIZATION_FORMAT_CLOUDPICKLE,
    SERIALIZATION_FORMAT_PICKLE,
    SERIALIZATION_FORMAT_SKOPS,
    SUPPORTED_SERIALIZATION_FORMATS,
    get_default_pip_requirements,
    save_model,
)
from runyard.fluent import models as _models
from runyard.models.model import ModelInfo

__all__ = ["FLAVOR_NAME", "SERIALIZATION_FORMAT_CLOUDPICKLE", "SERIALIZATION_FORMAT_PICKLE",
           "SERIALIZATION_FORMAT_SKOPS", "SUPPORTED_SERIALIZATION_FORMATS", "autolog", "get_default_pip_requirements",
           "load_model", "log_model", "save_model"]


def log_model(sk_model: Any, artifact_path: str | None = None, conda_env: Any = None,
              code_paths: list[str] | None = None, serialization_format: str = SERIALIZATION_FORMAT_SKOPS,
              registered_model_name: str | None = None, signature: Any = None, input_example: Any = None,
              await_registration_for: int = 300, pip_requirements: Any = None, extra_pip_requirements: Any = None,
              pyfunc_predict_fn: str = "predict", metadata: dict[str, Any] | None = None,
              params: dict[str, Any] | None = None, tags: dict[str, Any] | None = None,
              model_type: str | None = None, step: int = 0, model_id: str | None = None, name: str | None = None,
              skops_trusted_types: list[str] | None = None) -> ModelInfo:
    """Log a scikit-learn model as a logged model of the active run; returns its ModelInfo."""
    return _models.log_model(
        _sklearn.save_model, name, artifact_path=artifact_path, params=params, tags=tags, model_type=model_type,
        step=step, model_id=model_id, registered_model_name=registered_model_name, sk_model=sk_model,
        conda_env=conda_env, code_paths=code_paths, serialization_format=serialization_format, signature=signature,
        input_example=input_example, pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements, pyfunc_predict_fn=pyfunc_predict_fn, metadata=metadata,
        skops_trusted_types=skops_trusted_types)


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """The scikit-learn model at a local path, ``runs:/``, ``models:/<model_id>``, ``s3://`` or
    ``mlflow-artifacts:/`` URI."""
    return _sklearn.load_model(_models.download_model(model_uri, dst_path))
