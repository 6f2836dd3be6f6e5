"""Inferring a ``Schema`` from example data and a ``ParamSchema`` from example params.

The results match MLflow's ``infer_signature`` JSON for the same data: numpy arrays (and dicts of
them, and scipy sparse matrices) become TensorSpecs with a free first dimension; DataFrames,
Series, records, dicts, lists and scalars become ColSpecs, where lists become Arrays, dicts
Objects, and a column with missing values is optional.
"""

from __future__ import annotations

import copy
import sys
from collections import defaultdict
from typing import Any

import numpy as np

from runyard.errors import InvalidParameterValue
from runyard.models.datatypes import AnyType, Array, DataType, Map, Object, Property, TypeSpec, merge_types
from runyard.models.param_schema import ParamSchema, ParamSpec
from runyard.models.schema import ColSpec, Schema, TensorSpec, clean_tensor_type
from runyard.models.value_enforcement import is_none_or_nan

# Exact types only, as MLflow: a numpy int16 scalar, say, is not inferred.
_SCALAR_TYPES: dict[type, DataType] = {
    bool: DataType.boolean, np.bool_: DataType.boolean,
    int: DataType.long, np.int64: DataType.long, np.int32: DataType.integer,
    float: DataType.double, np.float64: DataType.double, np.float32: DataType.float,
    str: DataType.string, np.str_: DataType.string,
    bytes: DataType.binary, np.bytes_: DataType.binary, bytearray: DataType.binary,
}
_MIXED_TYPES = ("A list holds values of several types; declare such a signature by hand with "
                "Array(AnyType()) from runyard.models.schema")


def infer_schema(data: Any) -> Schema:
    """The schema of ``data`` (a DataFrame, Series, ndarray, sparse matrix, dict, list or scalar)."""
    if isinstance(data, list) and not data:
        # MLflow infers an empty list as one string column, kept for compatibility.
        return Schema([ColSpec(DataType.string)])
    if isinstance(data, list) and all(isinstance(item, dict) for item in data):
        return _infer_records(data)
    if isinstance(data, dict):
        return _infer_dict(data)
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(data, pd.Series):
        return Schema([ColSpec(infer_pandas_column(data), data.name, _infer_required(data))])
    if pd is not None and isinstance(data, pd.DataFrame):
        return Schema([ColSpec(infer_pandas_column(data[col]), col, _infer_required(data[col]))
                       for col in data.columns])
    if isinstance(data, np.ndarray):
        return Schema([TensorSpec(clean_tensor_type(data.dtype), _tensor_shape(data))])
    if _is_sparse(data):
        return Schema([TensorSpec(clean_tensor_type(data.data.dtype), _tensor_shape(data))])
    if isinstance(data, list):
        return Schema([ColSpec(_require(infer_datatype(data), data).dtype)])
    return Schema([ColSpec(_require(infer_datatype(data), data))])


def _infer_records(rows: list[dict[str, Any]]) -> Schema:
    columns: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        for key, value in row.items():
            columns[key].append(value)
    return Schema([
        ColSpec(_require(infer_datatype(values), values).dtype, name,
                all(row.get(name) is not None for row in rows))
        for name, values in columns.items()
    ])


def _infer_dict(data: dict[Any, Any]) -> Schema:
    if all(isinstance(v, np.ndarray) for v in data.values()):
        return Schema([TensorSpec(clean_tensor_type(v.dtype), _tensor_shape(v), name)
                       for name, v in data.items()])
    bad_keys = [k for k in data if not isinstance(k, str)]
    if bad_keys:
        raise InvalidParameterValue(f"Dictionary keys must be strings to infer a schema, got {bad_keys!r}")
    return Schema([ColSpec(_require(infer_datatype(v), v), name, _infer_required(v)) for name, v in data.items()])


def _require(dtype: TypeSpec | None, data: Any) -> Any:
    if dtype is None:
        raise InvalidParameterValue(f"Cannot infer a type from empty numpy arrays: {data!r}")
    return dtype


def _infer_required(values: Any) -> bool:
    pd = sys.modules.get("pandas")
    if isinstance(values, list) or (pd is not None and isinstance(values, pd.Series)):
        return not any(is_none_or_nan(v) for v in values)
    return not is_none_or_nan(values)


def _tensor_shape(data: Any) -> tuple[int, ...]:
    if data.ndim == 0:
        raise InvalidParameterValue("Cannot infer a tensor schema from a 0-dimensional array")
    return (-1, *data.shape[1:])


def _is_sparse(data: Any) -> bool:
    sparse = sys.modules.get("scipy.sparse")
    if sparse is None:
        return False  # scipy not imported: data cannot be one of its matrices
    kinds = tuple(getattr(sparse, n) for n in ("csr_matrix", "csc_matrix", "csr_array", "csc_array")
                  if hasattr(sparse, n))
    return isinstance(data, kinds)


def infer_datatype(data: Any) -> TypeSpec | None:
    """The type of one value: dict -> Object, list/ndarray -> Array, None or empty -> AnyType;
    None for an empty numpy array (its type is undetermined)."""
    if is_none_or_nan(data) or (isinstance(data, (list, dict)) and not data):
        return AnyType()
    if isinstance(data, dict):
        properties = []
        for key, value in data.items():
            dtype = infer_datatype(value)
            if dtype is None:
                raise InvalidParameterValue(f"Dictionary value '{key}' is an empty numpy array")
            properties.append(Property(key, dtype, required=not isinstance(dtype, AnyType)))
        return Object(properties)
    if isinstance(data, (list, np.ndarray)):
        return _infer_array(data)
    return infer_scalar(data)


def _infer_array(data: list[Any] | np.ndarray) -> Array | None:
    result: Array | None = None
    for item in data:
        dtype = infer_datatype(item)
        if dtype is None:
            continue
        if result is None:
            result = Array(dtype)
        elif isinstance(result.dtype, (Array, Object, Map, AnyType)):
            try:
                result = Array(merge_types(result.dtype, dtype))
            except InvalidParameterValue:
                raise InvalidParameterValue(_MIXED_TYPES) from None
        elif not isinstance(dtype, AnyType) and dtype != result.dtype:
            raise InvalidParameterValue(_MIXED_TYPES)
    return result


def infer_scalar(data: Any) -> DataType:
    dtype = _SCALAR_TYPES.get(type(data))
    if dtype is not None:
        return dtype
    if DataType.check_type(DataType.datetime, data):
        return DataType.datetime
    raise InvalidParameterValue(f"Cannot infer a signature type for {type(data).__name__} value {data!r}")


def infer_numpy_dtype(dtype: Any) -> DataType:
    """The DataType of a numpy or pandas dtype (by kind and size); raises for unsupported ones."""
    kind, size = dtype.kind, dtype.itemsize
    if kind == "b":
        return DataType.boolean
    if kind in ("i", "u"):
        if size < 4 or (kind == "i" and size == 4):
            return DataType.integer
        if size < 8 or (kind == "i" and size == 8):
            return DataType.long
    elif kind == "f":
        if size <= 4:
            return DataType.float
        if size <= 8:
            return DataType.double
    elif kind == "U":
        return DataType.string
    elif kind == "S":
        return DataType.binary
    elif kind == "M":
        return DataType.datetime
    raise InvalidParameterValue(f"Unsupported numpy data type '{dtype}' (kind '{kind}') for a signature")


def infer_pandas_column(col: Any) -> TypeSpec:
    """The type of a pandas Series; object columns are inferred from their values."""
    if col.values.ndim > 1:
        raise InvalidParameterValue(f"Expected a 1-D column, got one of shape {col.shape}")
    if col.dtype.kind == "O":
        col = col.infer_objects()
    if col.dtype.kind != "O":
        return infer_numpy_dtype(col.dtype)
    try:
        return _require(_infer_array(col.to_list()), col).dtype
    except InvalidParameterValue:
        import pandas as pd

        if pd.api.types.is_string_dtype(col):
            return DataType.string
        raise


def infer_param_schema(params: dict[str, Any]) -> ParamSchema:
    """A ParamSchema with each param's type, shape (None or (-1,)) and its value as default."""
    if not isinstance(params, dict):
        raise InvalidParameterValue(f"params must be a dict, got {type(params).__name__}")
    specs, failures = [], []
    for name, value in params.items():
        try:
            dtype, shape = _infer_param_type(value)
            specs.append(ParamSpec(name, dtype, copy.deepcopy(value), shape))
        except InvalidParameterValue as exc:
            failures.append(f"'{name}': {exc.message}")
    if failures:
        raise InvalidParameterValue("Failed to infer a schema for params: " + "; ".join(failures))
    return ParamSchema(specs)


def _infer_param_type(value: Any) -> tuple[DataType | Object, tuple[int, ...] | None]:
    if isinstance(value, (list, np.ndarray)):
        depth = _array_depth(value)
        if depth != 1:
            raise InvalidParameterValue(f"a param must be a scalar, an object or a 1-D list; got a {depth}-D list")
        # An empty list is inferred as datetime, as MLflow does (all() of nothing is true).
        if all(DataType.check_type(DataType.datetime, v) for v in value):
            return DataType.datetime, (-1,)
        return infer_numpy_dtype(np.array(value).dtype), (-1,)
    if DataType.check_type(DataType.datetime, value):
        return DataType.datetime, None
    if np.isscalar(value):
        return infer_numpy_dtype(np.array(value).dtype), None
    if isinstance(value, dict):
        return infer_schema({"value": value}).inputs[0].type, None
    raise InvalidParameterValue(f"a param must be a scalar, an object or a 1-D list; got {type(value).__name__}")


def _array_depth(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return value.ndim
    if isinstance(value, list):
        return 1 + max((_array_depth(v) for v in value), default=0)
    return 0
