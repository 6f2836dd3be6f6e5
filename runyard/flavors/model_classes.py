"""The ``model_class`` an MLmodel file names, turned back into a class without trusting the file,
and the small things the native-format flavors (XGBoost, LightGBM) share.

The XGBoost and LightGBM flavors record which class saved the model (``xgboost.sklearn.XGBClassifier``)
so that loading recreates the same kind of object. The name comes from a file, so importing it
blindly would let a model directory run any module's import-time code: only the framework's own
modules are imported here, a class from elsewhere (a user's subclass) is looked up only if its
module is imported already, and the class must derive from one of the framework's base classes.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from typing import Any

from runyard.errors import InvalidParameterValue
from runyard.models.model import local_model_path


def class_path(obj: Any) -> str:
    """``module.ClassName`` of an object, as the flavors write ``model_class``."""
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def resolve_class(path: str, framework: str, bases: tuple[type, ...]) -> type:
    """The class named ``path``, which must derive from one of ``bases``."""
    module_name, _, name = str(path).rpartition(".")
    if not module_name or not name:
        raise InvalidParameterValue(f"model_class {path!r} is not a module.Class name")
    if module_name == framework or module_name.startswith(framework + "."):
        module = importlib.import_module(module_name)
    elif module_name in sys.modules:
        module = sys.modules[module_name]
    else:
        raise InvalidParameterValue(
            f"model_class {path!r} is not a {framework} class and its module is not imported; import "
            f"{module_name!r} before loading the model (runyard imports only {framework}'s own modules)")
    found = getattr(module, name, None)
    if not isinstance(found, type) or not issubclass(found, bases):
        raise InvalidParameterValue(
            f"model_class {path!r} is not a {framework} model class (expected a subclass of "
            f"{', '.join(b.__name__ for b in bases)})")
    return found


def local_model_dir(path: str | os.PathLike[str], flavor: str) -> str:
    """The local model directory ``path`` names (``file:`` URIs accepted)."""
    local = local_model_path(os.fspath(path))
    if not os.path.isdir(local):
        raise InvalidParameterValue(
            f"{local!r} is not a local model directory; runyard.{flavor}.load_model takes model URIs")
    return local


def model_dir_of(path: str) -> str:
    """The model directory of a pyfunc ``data`` path (the data file, or the directory itself)."""
    return os.path.dirname(path) if os.path.isfile(path) else path


def accepted_kwargs(function: Any, params: dict[str, Any]) -> dict[str, Any]:
    """The ``params`` that ``function`` takes by name; pyfunc ``params`` a model's ``predict`` does
    not know are ignored, as MLflow ignores them."""
    try:
        names = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return {}
    return {k: v for k, v in params.items() if k in names}
