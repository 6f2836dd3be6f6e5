"""Input examples: ``input_example.json`` and ``serving_input_example.json`` as MLflow writes them.

A DataFrame is stored in pandas ``split`` orient without its index (type ``dataframe``); numpy
arrays and dicts of arrays as nested lists (type ``ndarray``); anything else JSON can hold as is
(type ``json_object``). An example given as ``(data, params)`` stores both, and the serving example
is the request body ``/invocations`` takes (``dataframe_split`` or ``inputs``, plus ``params``).
"""

from __future__ import annotations

import base64
import datetime
import json
import logging
import os
from typing import Any

from runyard.errors import InvalidParameterValue
from runyard.models.model import Model

INPUT_EXAMPLE_PATH = "input_example.json"
SERVING_INPUT_PATH = "serving_input_example.json"
_logger = logging.getLogger(__name__)


def _json_default(value: Any) -> Any:
    import numpy as np  # noqa: PLC0415 - numpy is loaded already when an example holds numpy values

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()
    raise TypeError(f"Input example value of type {type(value).__name__} cannot be written as JSON")


def _split_example(example: Any) -> tuple[Any, dict[str, Any] | None]:
    if isinstance(example, tuple) and len(example) == 2 and isinstance(example[1], dict):
        return example[0], example[1]
    return example, None


def _is_dataframe(value: Any) -> bool:
    return type(value).__module__.startswith("pandas") and type(value).__name__ == "DataFrame"


def _is_ndarray(value: Any) -> bool:
    return type(value).__module__ == "numpy" and type(value).__name__ == "ndarray"


def _frame_split(frame: Any) -> dict[str, Any]:
    # to_dict keeps each column's own type (ints stay ints beside float columns).
    split = frame.to_dict(orient="split")
    return {"columns": list(split["columns"]), "data": [list(row) for row in split["data"]]}


def encode_example(example: Any) -> tuple[str, Any, dict[str, Any] | None, Any]:
    """(type, stored JSON value, params, serving inputs) for an input example."""
    data, params = _split_example(example)
    if _is_dataframe(data):
        split = _frame_split(data)
        return "dataframe", split, params, {"dataframe_split": split}
    if type(data).__module__.startswith("pandas") and type(data).__name__ == "Series":
        split = _frame_split(data.to_frame())
        return "dataframe", split, params, {"dataframe_split": split}
    if _is_ndarray(data):
        return "ndarray", data.tolist(), params, {"inputs": data.tolist()}
    if isinstance(data, dict) and data and all(_is_ndarray(v) for v in data.values()):
        arrays = {k: v.tolist() for k, v in data.items()}
        return "ndarray", arrays, params, {"inputs": arrays}
    if type(data).__module__.startswith("scipy.sparse"):
        raise InvalidParameterValue("Sparse input examples are not supported; pass a dense example or a signature")
    return "json_object", data, params, {"inputs": data}


def save_example(model: Model, input_example: Any, path: str) -> None:
    """Write the example files into the model directory ``path`` and record them in ``model``."""
    kind, stored, params, serving = encode_example(input_example)
    body = {"inputs": stored, "params": params} if params else stored
    with open(os.path.join(path, INPUT_EXAMPLE_PATH), "w", encoding="utf-8") as f:
        json.dump(body, f, default=_json_default)
    if params:
        serving = {**serving, "params": params}
    with open(os.path.join(path, SERVING_INPUT_PATH), "w", encoding="utf-8") as f:
        json.dump(serving, f, default=_json_default, indent=2)
    info: dict[str, Any] = {"artifact_path": INPUT_EXAMPLE_PATH, "type": kind}
    if params:
        info["params"] = "true"  # MLflow writes the string
    if kind == "dataframe":
        info["pandas_orient"] = "split"
    info["serving_input_path"] = SERVING_INPUT_PATH
    model.saved_input_example_info = info


def load_input_example(model: Model, path: str) -> Any:
    """The saved input example of the model directory ``path`` (None when there is none)."""
    info = model.saved_input_example_info
    if not info:
        return None
    with open(os.path.join(path, info["artifact_path"]), encoding="utf-8") as f:
        stored = json.load(f)
    if info.get("params") and isinstance(stored, dict) and "inputs" in stored:
        stored = stored["inputs"]
    kind = info.get("type")
    if kind == "dataframe":
        import pandas as pd  # noqa: PLC0415 - only when a DataFrame example is read

        return pd.DataFrame(stored["data"], columns=stored["columns"])
    if kind == "ndarray":
        import numpy as np  # noqa: PLC0415

        # JSON loses the dtype; a tensor signature has it (a float32 example reads back as float32).
        dtypes = _tensor_dtypes(model)
        if isinstance(stored, dict):
            return {k: np.array(v, dtype=dtypes.get(k)) for k, v in stored.items()}
        return np.array(stored, dtype=dtypes.get(None)) if len(dtypes) == 1 else np.array(stored)
    return stored


def _tensor_dtypes(model: Model) -> dict[str | None, Any]:
    """Input name (None when unnamed) -> dtype, for a signature of TensorSpecs; empty otherwise."""
    schema = model.get_input_schema()
    if schema is None or not schema.is_tensor_spec():
        return {}
    return {spec.name: spec.type for spec in schema.inputs}


def load_input_example_params(model: Model, path: str) -> dict[str, Any] | None:
    """The params saved with the input example, or None."""
    info = model.saved_input_example_info
    if not info or not info.get("params"):
        return None
    with open(os.path.join(path, info["artifact_path"]), encoding="utf-8") as f:
        return json.load(f).get("params")


def get_serving_input(model: Model, path: str) -> str | None:
    """The serving input example (the ``/invocations`` body) as a string, or None."""
    info = model.saved_input_example_info
    serving = (info or {}).get("serving_input_path")
    if not serving or not os.path.isfile(os.path.join(path, serving)):
        return None
    with open(os.path.join(path, serving), encoding="utf-8") as f:
        return f.read()


def example_data(input_example: Any) -> Any:
    """The data part of an example (without params), for signature inference."""
    return _split_example(input_example)[0]


def example_params(input_example: Any) -> dict[str, Any] | None:
    """The params part of an example given as ``(data, params)``, or None."""
    return _split_example(input_example)[1]


def infer_signature_from_example(input_example: Any, predict: Any) -> Any:
    """A signature from an example and the model's prediction on it (inputs only, with a
    warning, when predicting fails), as MLflow's flavors infer one when none is given."""
    from runyard.models.signature import infer_signature  # noqa: PLC0415 - same package, loaded on use

    data, params = _split_example(input_example)
    try:
        output = predict(data, params) if params else predict(data)
    except Exception as exc:  # noqa: BLE001 - any model failure: fall back to the input schema
        _logger.warning("Could not predict on the input example to infer the output schema: %s", exc)
        output = None
    try:
        return infer_signature(data, output, params)
    except Exception as exc:  # noqa: BLE001 - an example no schema can describe: log without one
        _logger.warning("Could not infer a model signature from the input example: %s", exc)
        return None


def convert_input_example_to_serving_input(input_example: Any) -> str | None:
    """The ``/invocations`` request body (JSON text) for an input example, as saved beside a model."""
    if input_example is None:
        return None
    _, _, params, serving = encode_example(input_example)
    if params:
        serving = {**serving, "params": params}
    return json.dumps(serving, default=_json_default, indent=2)
