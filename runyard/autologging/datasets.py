"""The training data as a run input (``log_datasets=True``): a dataset named ``dataset`` with a
digest of its content, its schema and a profile of its shapes, in context ``train``, as MLflow's
autolog records numpy and pandas training data."""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

from runyard import config as settings
from runyard.entities import Dataset, DatasetInput, InputTag
from runyard.models.inference import infer_schema

_SAMPLE_ROWS = 10_000


def _is_frame(value: Any) -> bool:
    return type(value).__module__.startswith("pandas") and type(value).__name__ in ("DataFrame", "Series")


def _as_array(value: Any) -> Any:
    import numpy as np  # noqa: PLC0415 - numpy is loaded already when this runs

    if _is_frame(value):
        return value.to_numpy()
    return np.asarray(value)


def _digest(features: Any, targets: Any) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    for part in (features, targets):
        if part is None:
            continue
        array = _as_array(part)
        digest.update(str((array.shape, array.dtype)).encode())
        sample = array[:_SAMPLE_ROWS] if array.ndim else array
        try:
            digest.update(sample.tobytes())
        except (TypeError, ValueError):  # object arrays: their text is stable enough
            digest.update(repr(sample.tolist()).encode())
        if _is_frame(part) and hasattr(part, "columns"):
            digest.update(repr(list(part.columns)).encode())
    return digest.hexdigest()[:8]


def _profile(features: Any, targets: Any) -> dict[str, Any]:
    profile: dict[str, Any] = {}
    for name, part in (("features", features), ("targets", targets)):
        if part is None:
            continue
        array = _as_array(part)
        profile.update({f"{name}_shape": list(array.shape), f"{name}_size": int(array.size),
                        f"{name}_nbytes": int(array.nbytes)})
    return profile


def _schema(features: Any, targets: Any) -> str | None:
    if _is_frame(features):
        return json.dumps({"mlflow_colspec": infer_schema(features).to_dict()})
    specs: dict[str, str] = {}
    for name, part in (("features", features), ("targets", targets)):
        if part is not None:
            specs[name] = json.dumps(infer_schema(_as_array(part)).to_dict())
    return json.dumps({"mlflow_tensorspec": specs}) if specs else None


def _source() -> str:
    return json.dumps({"tags": {"mlflow.user": settings.current_user(),
                                "mlflow.source.name": sys.argv[0] if sys.argv and sys.argv[0] else "<console>",
                                "mlflow.source.type": "LOCAL"}})


def training_input(features: Any, targets: Any = None, context: str = "train") -> DatasetInput | None:
    """The run input for numpy or pandas training data; None for data of other kinds (sparse
    matrices, framework-specific containers), which are not recorded."""
    for part in (features, targets):
        if part is None:
            continue
        module = type(part).__module__
        if not (module == "numpy" or module.startswith("pandas") or isinstance(part, list)):
            return None
    dataset = Dataset(name="dataset", digest=_digest(features, targets), source_type="code", source=_source(),
                      schema=_schema(features, targets), profile=json.dumps(_profile(features, targets)))
    return DatasetInput(dataset, (InputTag("mlflow.data.context", context),))
