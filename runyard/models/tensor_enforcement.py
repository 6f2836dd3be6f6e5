"""Enforcing tensor schemas: numpy arrays (or dicts of them, or DataFrame columns that hold them)
checked against TensorSpecs' dtype and shape.

Arrays must have the declared dtype exactly (numpy's string types without their length); a -1
dimension takes any size. DataFrame columns, which lose dtypes and shapes (JSON requests arrive
so), are stacked, reshaped and cast to the declared dtype where the cast keeps the values.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from runyard.models.schema import Schema, TensorSpec, clean_tensor_type
from runyard.models.value_enforcement import enforcement_error


def enforce_tensor_schema(data: Any, schema: Schema, check_names: Callable[[set[Any], Schema], None]) -> Any:
    import pandas as pd

    if isinstance(data, list):
        data = np.asarray(data)
    if schema.has_input_names():
        if isinstance(data, np.ndarray) and len(schema.inputs) == 1:
            data = {schema.inputs[0].name: data}
        if isinstance(data, dict):
            check_names(set(data), schema)
            result = {}
            for spec in schema.inputs:
                value = data[spec.name]
                if not isinstance(value, np.ndarray):
                    raise enforcement_error(
                        f"Input '{spec.name}' must be a numpy array (the signature declares a tensor of "
                        f"{spec.type.name} with shape {spec.shape}), got {type(value).__name__}"
                    )
                result[spec.name] = enforce_tensor_spec(value, spec)
            return result
        if isinstance(data, pd.DataFrame):
            check_names(set(data.columns), schema)
            return {spec.name: _column_to_tensor(data[spec.name], spec) for spec in schema.inputs}
        raise enforcement_error(
            "This model's signature has named tensor inputs: pass a dict of numpy arrays or a DataFrame "
            f"with those columns; got {type(data).__name__}"
        )
    spec = schema.inputs[0]
    if isinstance(data, pd.DataFrame):
        if data.empty:
            raise enforcement_error("The input DataFrame is empty")
        if len(data.columns) == 1:
            return _column_to_tensor(data.iloc[:, 0], spec)
        if spec.shape != (-1, len(data.columns)):
            raise enforcement_error(
                f"The input DataFrame has {len(data.columns)} columns; the model's tensor input has shape "
                f"{spec.shape}, and a DataFrame of scalars fits only shape (-1, number of columns)"
            )
        return enforce_tensor_spec(_cast(data.to_numpy(), spec), spec)
    if isinstance(data, np.ndarray) or _is_sparse(data):
        return enforce_tensor_spec(data, spec)
    raise enforcement_error(
        "This model's signature is an unnamed tensor: pass a numpy array or a DataFrame; "
        f"got {type(data).__name__}"
    )


def _label(spec: TensorSpec) -> str:
    return "the input" if spec.name is None else f"input '{spec.name}'"


def enforce_tensor_spec(values: Any, spec: TensorSpec) -> Any:
    """``values`` (an ndarray or sparse matrix) when its dtype and shape fit ``spec``; raises otherwise."""
    expected, actual = spec.shape, values.shape
    actual_type = values.dtype if isinstance(values, np.ndarray) else values.data.dtype
    if expected == (-1,) and spec.type == np.dtype("O"):
        return values  # a ragged object tensor takes anything
    if len(expected) > 1 and -1 in expected[1:] and len(actual) == 1 and actual_type == np.dtype("O"):
        return values  # a 1-D object array of ragged rows
    if len(expected) != len(actual) or any(e not in (-1, a) for e, a in zip(expected, actual)):
        raise enforcement_error(
            f"Shape of {_label(spec)} {actual} does not match the expected shape {expected} "
            "(-1 takes any size)"
        )
    if clean_tensor_type(actual_type) != spec.type:
        raise enforcement_error(
            f"dtype of {_label(spec)} is {actual_type}; the model expects {spec.type.name} "
            f"(a tensor of shape {expected})"
        )
    return values


def _column_to_tensor(column: Any, spec: TensorSpec) -> np.ndarray:
    if spec.shape[0] != -1 or -1 in spec.shape[1:]:
        raise enforcement_error(
            f"A DataFrame fits a tensor whose first dimension is -1 and whose other dimensions are fixed; "
            f"{_label(spec)} has shape {spec.shape}"
        )
    first = column.iloc[0] if len(column) else None
    if np.isscalar(first):
        if spec.shape not in ((-1,), (-1, 1)):
            raise enforcement_error(
                f"Column for {_label(spec)} holds scalars, which fit shape (-1,) or (-1, 1), not {spec.shape}"
            )
        return enforce_tensor_spec(_cast(column.to_numpy().reshape(spec.shape), spec), spec)
    if isinstance(first, (list, np.ndarray)):
        try:
            stacked = np.vstack(column.tolist()).reshape(spec.shape)
        except ValueError:
            stacked = None
        if stacked is None or len(stacked) != len(column):
            raise enforcement_error(
                f"The values of the column for {_label(spec)} cannot be reshaped to {spec.shape}: rows "
                "must all have the same length"
            )
        # Arrays carry their dtype, which is checked as is; lists (from JSON) are cast.
        return enforce_tensor_spec(stacked if isinstance(first, np.ndarray) else _cast(stacked, spec), spec)
    raise enforcement_error(
        f"The column for {_label(spec)} must hold scalars, lists or numpy arrays, got {type(first).__name__}"
    )


def _cast(values: np.ndarray, spec: TensorSpec) -> np.ndarray:
    """``values`` as ``spec.type`` when that keeps them (floats may lose precision, integers may
    not overflow, floats never become integers); unchanged otherwise, for the dtype check to refuse."""
    target = spec.type
    if target.kind in "US" and values.dtype.kind == "O":
        # pandas keeps text in object (or string) columns; numpy text arrays are what the spec names.
        text = str if target.kind == "U" else bytes
        return values.astype(target) if all(isinstance(v, text) for v in values.flat) else values
    if values.dtype == target or target.kind not in "biuf" or values.dtype.kind not in "biuf":
        return values
    if not np.can_cast(values.dtype, target, casting="same_kind"):
        return values
    cast = values.astype(target)
    if target.kind in "iu" and not np.array_equal(cast.astype(values.dtype), values):
        raise enforcement_error(f"Values of {_label(spec)} overflow the expected dtype {target.name}")
    return cast


def _is_sparse(data: Any) -> bool:
    return type(data).__module__.startswith("scipy.sparse")
