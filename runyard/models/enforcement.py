"""Schema enforcement: input data made to fit a model's input schema before ``predict``, as
MLflow's pyfunc does.

Column schemas turn the input into a DataFrame (from a DataFrame, Series, dict, records, list,
ndarray or scalar), select and order the named columns (extra ones are dropped with a warning, a
missing required one is an error naming it) and convert each column safely (see
``value_enforcement``). Tensor schemas check dtype and shape (-1 dimensions are free) without
converting. Failures raise ``InvalidParameterValue`` with error class SCHEMA_ENFORCEMENT_FAILED,
naming the column and the type it expects.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from runyard.models.datatypes import DataType
from runyard.models.param_schema import enforce_params
from runyard.models.schema import ColSpec, Schema, TensorSpec
from runyard.models.tensor_enforcement import enforce_tensor_schema
from runyard.models.value_enforcement import convert_array, enforce_value, enforcement_error

__all__ = ["enforce_params", "enforce_schema"]

_logger = logging.getLogger(__name__)


def enforce_schema(data: Any, schema: Schema) -> Any:
    """``data`` converted to fit ``schema``: a DataFrame for column schemas; an ndarray, or a dict
    of ndarrays for named tensors, for tensor schemas."""
    import pandas as pd

    if not isinstance(schema, Schema):
        raise enforcement_error(f"schema must be a Schema, got {type(schema).__name__}")
    if isinstance(data, pd.Series):
        data = data.to_frame()
    if schema.is_tensor_spec():
        return enforce_tensor_schema(data, schema, _check_names)
    frame = _to_frame(data, schema)
    if schema.has_input_names():
        if _already_fits(frame, schema):
            return _fresh_view(frame)
        _check_names(set(frame.columns), schema)
        return _enforce_named_columns(frame, schema)
    return _enforce_unnamed_columns(frame, schema)


def _already_fits(frame: Any, schema: Schema) -> bool:
    """True when the general path would keep every column of ``frame`` as it is: exactly the
    schema's columns, in its order, each already of its numpy dtype (the usual scoring request).
    The general path then only rebuilds the same frame column by column, which costs more than
    the prediction of a small model."""
    columns = frame.columns
    specs = schema.inputs
    if len(columns) != len(specs) or columns.name is not None:
        return False
    names = [spec.name for spec in specs]
    # Equal to the schema's names, and those are distinct: so the frame's columns are too (asking
    # the Index itself whether it is unique hashes it, at a cost on every request).
    if len(set(names)) != len(names) or columns.tolist() != names:
        return False
    for dtype, spec in zip(frame.dtypes.tolist(), specs):
        t = spec.type
        if not isinstance(t, DataType) or not isinstance(dtype, np.dtype) or dtype.kind == "O":
            return False
        if dtype != t.to_numpy():
            return False
    return True


def _fresh_view(frame: Any) -> Any:
    """A new frame with the same data, as the general path returns: a model that changes its input
    never changes the caller's frame (a lazy copy where pandas copies on write, else a real one)."""
    out = frame.copy(deep=not _copies_on_write())
    if out.attrs:
        out.attrs = {}
    return out


def _copies_on_write() -> bool:
    import pandas as pd

    if int(pd.__version__.split(".", 1)[0]) >= 3:
        return True  # always on; reading the option warns there
    return pd.options.mode.copy_on_write is True


def _to_frame(data: Any, schema: Schema) -> Any:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if np.isscalar(data):
        return pd.DataFrame([data])
    if isinstance(data, dict):
        return _dict_to_frame(data, schema)
    if isinstance(data, (list, np.ndarray)):
        try:
            return pd.DataFrame(data)
        except ValueError as exc:
            raise enforcement_error(f"The input could not be read as a DataFrame: {exc}") from None
    if _is_spark(data):
        raise enforcement_error("Spark DataFrames are not supported as model input; pass a pandas DataFrame")
    raise enforcement_error(
        "This model has a column-based signature and expects a pandas DataFrame (or a dict, list, "
        f"numpy array or scalar that reads as one); got {type(data).__name__}"
    )


def _dict_to_frame(data: dict[Any, Any], schema: Schema) -> Any:
    import pandas as pd

    def single_row_value(value: Any) -> bool:
        return np.isscalar(value) or value is None or (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        )

    # A dict is one row when the schema has nested columns or every value is a scalar (a list of
    # strings counts as one value); otherwise its values are the columns.
    nested = any(not isinstance(spec.type, DataType) for spec in schema.inputs)
    if nested or all(single_row_value(v) for v in data.values()):
        return pd.DataFrame([data])
    try:
        if all(isinstance(v, np.ndarray) and v.dtype.kind == "U" and v.shape == () for v in data.values()):
            return pd.DataFrame([data])
        return pd.DataFrame({k: v.tolist() if isinstance(v, np.ndarray) and v.ndim > 1 else v
                             for k, v in data.items()})
    except ValueError as exc:
        raise enforcement_error(
            f"This model has a column-based signature; the input dict could not be read as a DataFrame: {exc}"
        ) from None


def _is_spark(data: Any) -> bool:
    return type(data).__module__.startswith("pyspark.")


def _check_names(actual: set[Any], schema: Schema) -> None:
    """Raise when a required input is missing; warn about inputs the schema does not declare."""
    required = schema.required_input_names()
    missing = [name for name in required if name not in actual]
    declared = set(schema.input_names())
    extra = sorted(str(name) for name in actual if name not in declared)
    if missing:
        what = ", ".join(f"'{name}' ({_expected(schema, name)})" for name in missing)
        note = f" Inputs {extra} were given but are not in the signature." if extra else ""
        raise enforcement_error(
            f"Model is missing inputs [{what}]: the model signature requires them.{note}"
        )
    if extra:
        _logger.warning("Ignoring inputs %s, which the model signature does not declare", extra)


def _expected(schema: Schema, name: Any) -> str:
    spec = schema.input_dict()[name]
    if isinstance(spec, TensorSpec):
        return f"tensor of {spec.type.name} with shape {spec.shape}"
    return repr(spec.type)


def _enforce_named_columns(frame: Any, schema: Schema) -> Any:
    import pandas as pd

    columns = {}
    for spec in schema.inputs:
        if spec.name in frame.columns:
            columns[spec.name] = _enforce_column(frame[spec.name], spec, repr(spec.name))
    return pd.DataFrame(columns, index=frame.index)


def _enforce_unnamed_columns(frame: Any, schema: Schema) -> Any:
    import pandas as pd

    if len(frame.columns) < len(schema.inputs):
        raise enforcement_error(
            f"Model is missing inputs: its signature declares {len(schema.inputs)} unnamed inputs and "
            f"the input has {len(frame.columns)} columns (unnamed inputs are matched by position)"
        )
    columns = {}
    for position, (name, spec) in enumerate(zip(frame.columns, schema.inputs)):
        columns[name] = _enforce_column(frame.iloc[:, position], spec, f"{name!r} (position {position})")
    return pd.DataFrame(columns, index=frame.index)


def _enforce_column(column: Any, spec: ColSpec, label: str) -> Any:
    import pandas as pd

    if not isinstance(spec.type, DataType):
        values = [enforce_value(v, spec.type, spec.required, f"column {label}") for v in column]
        return pd.Series(values, index=column.index, name=column.name, dtype=object)
    values = _column_values(column, spec.type, label)
    if values is column:
        return column
    return pd.Series(values, index=column.index, name=column.name)


def _column_values(column: Any, t: DataType, label: str) -> Any:
    """The column's values as a numpy array converted to ``t`` (or the column itself, unchanged)."""
    import pandas as pd

    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype):
        if t in (DataType.string, DataType.binary):
            return column
        if t is DataType.datetime:
            return _parse_datetimes(column, label)
        return convert_array(column.to_numpy(dtype=object), t, label)
    if isinstance(dtype, pd.DatetimeTZDtype):
        raise enforcement_error(
            f"Incompatible input types for column {label}: expected datetime, got {dtype}; "
            "datetime columns must be timezone-naive"
        )
    if isinstance(dtype, pd.CategoricalDtype):
        return convert_array(column.to_numpy(), t, label)
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and not isinstance(dtype, np.dtype):
        return _extension_values(column, t, label)
    if dtype == object and t not in (DataType.string, DataType.binary):
        column = column.infer_objects()
        if isinstance(column.dtype, pd.StringDtype) or column.dtype != object:
            return _column_values(column, t, label)
    if t is DataType.datetime and column.dtype == object:
        return _parse_datetimes(column, label)
    values = column.to_numpy()
    converted = convert_array(values, t, label)
    return column if converted is values else converted


def _extension_values(column: Any, t: DataType, label: str) -> Any:
    """Nullable pandas columns (Int64, Float64, boolean): NA becomes NaN or None on the way."""
    kind = column.dtype.kind
    if column.hasnans:
        if kind in ("i", "u", "f"):
            return convert_array(column.to_numpy(dtype=np.float64, na_value=np.nan), t, label)
        return convert_array(column.to_numpy(dtype=object, na_value=None), t, label)
    return convert_array(column.to_numpy(dtype=column.dtype.numpy_dtype), t, label)


def _parse_datetimes(column: Any, label: str) -> Any:
    import pandas as pd

    try:
        return pd.to_datetime(column, errors="raise").to_numpy(dtype="datetime64[ns]")
    except (TypeError, ValueError) as exc:
        raise enforcement_error(
            f"Incompatible input types for column {label}: expected datetime, and its values could "
            f"not be read as timezone-naive datetimes ({exc})"
        ) from None
