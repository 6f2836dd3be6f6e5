"""``load_pyfunc``: a local model directory as a ``PyFuncModel``, whichever flavor saved it.

The MLmodel file names a ``loader_module``. Files written by MLflow (and by runyard, which writes
MLflow's names so that MLflow can load its models) name MLflow modules; they map to runyard's own
flavor modules here, so loading never needs MLflow installed.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from runyard.errors import InvalidParameterValue
from runyard.models import pyfunc
from runyard.models.input_example import load_input_example
from runyard.models.model import Model, local_model_path
from runyard.models.model_directory import add_code_to_path
from runyard.models.pyfunc import PyFuncModel

# loader_module in MLmodel -> runyard's module with `_load_pyfunc(data_path[, model_config])`
LOADER_MODULES = {
    "mlflow.sklearn": "runyard.flavors.sklearn",
    "mlflow.pyfunc.model": "runyard.flavors.python_model",
    "mlflow.xgboost": "runyard.flavors.xgboost",
    "mlflow.lightgbm": "runyard.flavors.lightgbm",
    "mlflow.pytorch": "runyard.flavors.pytorch",
    "runyard.flavors.sklearn": "runyard.flavors.sklearn",
    "runyard.flavors.python_model": "runyard.flavors.python_model",
}


def loader_for(loader_module: str) -> Any:
    """The runyard module that loads models written with ``loader_module`` (a user's own loader
    module, one outside ``mlflow.*``, is imported as it is named)."""
    target = LOADER_MODULES.get(loader_module)
    if target is None and not (loader_module == "mlflow" or loader_module.startswith("mlflow.")):
        target = loader_module
    if target is None:
        known = ", ".join(sorted(k for k in LOADER_MODULES if k.startswith("mlflow.")))
        raise InvalidParameterValue(
            f"runyard cannot load models of loader_module {loader_module!r} yet (it loads: {known})")
    return importlib.import_module(target)


def load_pyfunc(local_path: str | os.PathLike[str], model_config: dict[str, Any] | None = None) -> PyFuncModel:
    """Load the model directory at ``local_path`` (or a ``file:`` URI) behind the pyfunc interface."""
    local = local_model_path(os.fspath(local_path))
    meta = Model.load(local)
    conf = meta.flavors.get(pyfunc.FLAVOR_NAME)
    if conf is None:
        raise InvalidParameterValue(
            f'Model does not have the "{pyfunc.FLAVOR_NAME}" flavor (it has: {", ".join(sorted(meta.flavors))}); '
            "load it with its own flavor's load_model")
    add_code_to_path(local, conf)
    loader = loader_for(conf[pyfunc.MAIN])
    data_path = os.path.join(local, conf[pyfunc.DATA]) if conf.get(pyfunc.DATA) else local
    overrides = {**(conf.get(pyfunc.MODEL_CONFIG) or {}), **(model_config or {})}
    impl = loader._load_pyfunc(data_path, overrides) if overrides else loader._load_pyfunc(data_path)
    model = PyFuncModel(meta, impl, predict_fn=conf.get("predict_fn", "predict"))
    if meta.saved_input_example_info:
        try:
            model.input_example = load_input_example(meta, local)
        except (OSError, ValueError, KeyError):
            model.input_example = None  # an unreadable example must not stop the model loading
    return model
