"""The XGBoost flavor: a Booster or scikit-learn API model (XGBClassifier, ...) in XGBoost's own
format, ``model.ubj`` (UBJSON, the default) or ``model.json``.

MLflow's flavor keys (``xgb_version``, ``data``, ``model_class``, ``model_format``, ``code``) and
``loader_module: mlflow.xgboost``, so MLflow loads what runyard saves and the reverse. XGBoost's
native format holds trees and parameters, not code: loading it runs nothing from the file.
"""

from __future__ import annotations

import os
from typing import Any

from runyard.errors import InvalidParameterValue
from runyard.flavors.model_classes import accepted_kwargs, class_path, local_model_dir, model_dir_of, resolve_class
from runyard.models import environment, input_example as examples, pyfunc
from runyard.models.model import Model
from runyard.models.model_directory import add_code_to_path, copy_code_paths, finish, prepare_save_path

FLAVOR_NAME = "xgboost"
LOADER_MODULE = "mlflow.xgboost"  # MLflow's name, so MLflow loads what runyard saves
SUPPORTED_MODEL_FORMATS = ("ubj", "json", "xgb")
_BOOSTER_CLASS = "xgboost.core.Booster"


def _is_sklearn_api(xgb_model: Any) -> bool:
    import xgboost as xgb  # noqa: PLC0415 - frameworks load on use

    return isinstance(xgb_model, xgb.XGBModel)


def get_default_pip_requirements(include_sklearn: bool = False) -> list[str]:
    """XGBoost and the array libraries its models take input as, pinned (scikit-learn too for the
    scikit-learn API models)."""
    names = ["xgboost", "numpy", "scipy"] + (["scikit-learn"] if include_sklearn else [])
    return [environment.pinned(name) for name in names]


def save_model(xgb_model: Any, path: str | os.PathLike[str], conda_env: Any = None,
               code_paths: list[str] | None = None, mlflow_model: Model | None = None, signature: Any = None,
               input_example: Any = None, pip_requirements: Any = None, extra_pip_requirements: Any = None,
               model_format: str = "ubj", metadata: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Save an XGBoost Booster or scikit-learn API model as a model directory at ``path`` (which
    must not exist or be empty)."""
    import xgboost as xgb  # noqa: PLC0415

    if model_format not in SUPPORTED_MODEL_FORMATS:
        raise InvalidParameterValue(f"model_format must be one of {list(SUPPORTED_MODEL_FORMATS)}, got {model_format!r}")
    if not isinstance(xgb_model, (xgb.Booster, xgb.XGBModel)):
        raise InvalidParameterValue(
            f"xgb_model must be an xgboost.Booster or an XGBoost scikit-learn API model, got {type(xgb_model).__name__}")
    if kwargs:
        raise InvalidParameterValue(f"save_model got unexpected arguments: {', '.join(sorted(kwargs))}")
    local = prepare_save_path(path)
    code = copy_code_paths(code_paths, local)
    model = mlflow_model if mlflow_model is not None else Model()
    if input_example is not None:
        examples.save_example(model, input_example, local)
        if signature is None:
            signature = examples.infer_signature_from_example(input_example, _XGBModelWrapper(xgb_model).predict)
    model.signature = signature or None  # signature=False: none, as in MLflow
    if metadata is not None:
        model.metadata = metadata
    data_file = f"model.{model_format}"
    xgb_model.save_model(os.path.join(local, data_file))
    env = environment.write_environment(local, get_default_pip_requirements(_is_sklearn_api(xgb_model)),
                                        conda_env, pip_requirements, extra_pip_requirements)
    pyfunc.add_to_model(model, loader_module=LOADER_MODULE, data=data_file, env=env, code=code)
    model.add_flavor(FLAVOR_NAME, xgb_version=xgb.__version__, data=data_file, model_class=class_path(xgb_model),
                     model_format=model_format, code=code)
    finish(model, local)


def _load_from_dir(model_dir: str) -> Any:
    import xgboost as xgb  # noqa: PLC0415

    conf = Model.load(model_dir).flavor_conf(FLAVOR_NAME)
    add_code_to_path(model_dir, conf)
    cls = resolve_class(conf.get("model_class") or _BOOSTER_CLASS, "xgboost", (xgb.Booster, xgb.XGBModel))
    data = conf.get("data") or f"model.{conf.get('model_format', 'xgb')}"
    model = cls()
    model.load_model(os.path.join(model_dir, data))
    return model


def load_model(model_uri_or_local_path: str | os.PathLike[str]) -> Any:
    """The Booster or scikit-learn API model saved in a local model directory (``file:`` URIs
    accepted); ``runyard.xgboost.load_model`` takes every model URI."""
    return _load_from_dir(local_model_dir(model_uri_or_local_path, FLAVOR_NAME))


def _load_pyfunc(path: str, model_config: dict[str, Any] | None = None) -> "_XGBModelWrapper":
    """The pyfunc implementation; ``path`` is the model's data file or its directory."""
    return _XGBModelWrapper(_load_from_dir(model_dir_of(path)))


class _XGBModelWrapper:
    """The pyfunc face: a Booster predicts on a DMatrix of the input, an API model on the input."""

    def __init__(self, xgb_model: Any) -> None:
        self.xgb_model = xgb_model

    def get_raw_model(self) -> Any:
        return self.xgb_model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import xgboost as xgb  # noqa: PLC0415

        extra = accepted_kwargs(self.xgb_model.predict, params or {})
        if isinstance(self.xgb_model, xgb.Booster):
            return self.xgb_model.predict(xgb.DMatrix(data), **extra)
        return self.xgb_model.predict(data, **extra)
