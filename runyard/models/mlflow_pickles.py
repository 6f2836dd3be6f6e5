"""Pickles that cross between MLflow and runyard.

Reading: a custom model pickled by MLflow 3 refers to ``mlflow.*`` classes and functions (the
``PythonModel`` base class, signature type-hint records, the ``predict`` validation wrapper).
``ModelUnpickler`` maps those references to runyard's own, so such models load without MLflow
installed; a reference runyard has no counterpart for is loaded from MLflow when it is installed
and is otherwise refused with an error naming it.

Writing: ``dumps`` pickles a custom model with cloudpickle, writing runyard's ``PythonModel`` base
class as MLflow's (``mlflow.pyfunc.model.PythonModel``), so a class defined in a script or notebook
loads in MLflow without runyard installed, and in runyard through the mapping above.

Unpickling runs code: load only models from sources you trust.
"""

from __future__ import annotations

import importlib
import io
import pickle
import types
from typing import IO, Any

from runyard.errors import RunyardException
from runyard.models import schema as _schema
from runyard.models.model import Model
from runyard.models.pyfunc import PythonModel, PythonModelContext
from runyard.models.signature import ModelSignature
from runyard.models.type_hints import FuncInfo, TypeHints, validate_model_input

_SCHEMA_NAMES = ("Schema", "ColSpec", "TensorSpec", "DataType", "ParamSchema", "ParamSpec", "Array", "Object",
                 "Property", "Map", "AnyType")
_VALIDATION = "mlflow.pyfunc.utils.data_validation"

# (MLflow module, name) -> runyard object
MLFLOW_REFERENCES: dict[tuple[str, str], Any] = {
    ("mlflow.pyfunc.model", "PythonModel"): PythonModel,
    ("mlflow.pyfunc", "PythonModel"): PythonModel,
    ("mlflow.pyfunc.model", "PythonModelContext"): PythonModelContext,
    ("mlflow.pyfunc", "PythonModelContext"): PythonModelContext,
    ("mlflow.models.signature", "_TypeHints"): TypeHints,
    ("mlflow.models.signature", "ModelSignature"): ModelSignature,
    ("mlflow.models", "ModelSignature"): ModelSignature,
    ("mlflow.models.model", "Model"): Model,
    ("mlflow.models", "Model"): Model,
    (_VALIDATION, "FuncInfo"): FuncInfo,
    (_VALIDATION, "_validate_model_input"): validate_model_input,
    ("mlflow.exceptions", "MlflowException"): RunyardException,
    **{(module, name): getattr(_schema, name) for module in ("mlflow.types.schema", "mlflow.types")
       for name in _SCHEMA_NAMES if hasattr(_schema, name)},
}
# runyard object -> where MLflow keeps it (what dumps writes)
_AS_MLFLOW = {id(PythonModel): ("mlflow.pyfunc.model", "PythonModel"),
              id(TypeHints): ("mlflow.models.signature", "_TypeHints")}


def _mlflow_module_shim(name: str) -> types.ModuleType | None:
    """A stand-in for an MLflow module holding runyard's counterparts of its names, or None."""
    names = {n: obj for (module, n), obj in MLFLOW_REFERENCES.items() if module == name}
    if not names:
        return None
    shim = types.ModuleType(name, f"runyard's counterparts of {name}")
    shim.__dict__.update(names)
    return shim


def _subimport(name: str) -> types.ModuleType:
    """cloudpickle's module reference, with MLflow modules answered by runyard's shims."""
    if name == "mlflow" or name.startswith("mlflow."):
        shim = _mlflow_module_shim(name)
        if shim is not None:
            return shim
        return _import_mlflow(name, None)
    return importlib.import_module(name)


def _import_mlflow(module: str, name: str | None) -> Any:
    what = f"{module}.{name}" if name else module
    try:
        imported = importlib.import_module(module)
    except ImportError as exc:
        raise RunyardException(
            f"The pickled model refers to {what}, which runyard has no counterpart for; install mlflow "
            "to load this model"
        ) from exc
    return getattr(imported, name) if name else imported


class ModelUnpickler(pickle.Unpickler):
    """An unpickler that maps MLflow's classes and functions to runyard's (see the module doc)."""

    def find_class(self, module: str, name: str) -> Any:
        mapped = MLFLOW_REFERENCES.get((module, name))
        if mapped is not None:
            return mapped
        if module in ("cloudpickle.cloudpickle", "cloudpickle.cloudpickle_fast", "cloudpickle") and name == "subimport":
            return _subimport
        if module == "mlflow" or module.startswith("mlflow."):
            return _import_mlflow(module, name)
        return super().find_class(module, name)


def load(file: IO[bytes]) -> Any:
    """Unpickle a model file (runs code from the file: trusted sources only)."""
    return ModelUnpickler(file).load()


def loads(data: bytes) -> Any:
    return load(io.BytesIO(data))


class _ModuleReference:
    """Pickles as cloudpickle's ``subimport(name)``: the named module, imported where it loads."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        import cloudpickle  # noqa: PLC0415 - only when pickling a custom model

        return cloudpickle.cloudpickle.subimport, (self.name,)


def _neutral_pickler_class() -> type:
    import cloudpickle  # noqa: PLC0415 - cloudpickle is needed only for custom models

    class NeutralPickler(cloudpickle.Pickler):
        def reducer_override(self, obj: Any) -> Any:
            target = _AS_MLFLOW.get(id(obj))
            if target is not None and isinstance(obj, type):
                return getattr, (_ModuleReference(target[0]), target[1])
            return super().reducer_override(obj)

    return NeutralPickler


def dump(obj: Any, file: IO[bytes]) -> None:
    """Cloudpickle ``obj`` with runyard's base classes written as MLflow's (see the module doc)."""
    _neutral_pickler_class()(file, protocol=pickle.DEFAULT_PROTOCOL).dump(obj)


def dumps(obj: Any) -> bytes:
    buffer = io.BytesIO()
    dump(obj, buffer)
    return buffer.getvalue()
