"""The ``pickle_module`` runyard hands to ``torch.save`` and ``torch.load`` for pickled PyTorch models.

MLflow saves with ``mlflow.pytorch.pickle_module`` (cloudpickle's pickler, so a module class defined
in a script or notebook is saved by value) and records that name in the model. runyard writes the
same name, so MLflow loads what runyard saves, and answers it with this module when loading: the
standard unpickler with MLflow's class references mapped to runyard's, so no MLflow is needed.

Unpickling runs code from the file: load pickled models only from sources you trust.
"""

from __future__ import annotations

import pickle
from typing import Any

from runyard.models.mlflow_pickles import ModelUnpickler, load, loads

MLFLOW_NAME = "mlflow.pytorch.pickle_module"  # what MLflow records, and what runyard writes

Unpickler = ModelUnpickler
DEFAULT_PROTOCOL = pickle.DEFAULT_PROTOCOL

__all__ = ["DEFAULT_PROTOCOL", "MLFLOW_NAME", "Pickler", "Unpickler", "dump", "dumps", "load", "loads"]


def _pickler_class() -> type:
    # cloudpickle saves classes defined in __main__ by value; without it, plain pickle (which
    # needs the class importable where the model loads).
    try:
        import cloudpickle  # noqa: PLC0415 - only when a model is pickled
    except ImportError:
        return pickle.Pickler
    return cloudpickle.CloudPickler


def __getattr__(name: str) -> Any:
    # torch.save subclasses `pickle_module.Pickler`: resolved on first use, not at import.
    if name == "Pickler":
        return _pickler_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def dump(obj: Any, file: Any, protocol: int | None = None) -> None:
    _pickler_class()(file, protocol=protocol or DEFAULT_PROTOCOL).dump(obj)


def dumps(obj: Any, protocol: int | None = None) -> bytes:
    import io  # noqa: PLC0415

    buffer = io.BytesIO()
    dump(obj, buffer, protocol)
    return buffer.getvalue()
