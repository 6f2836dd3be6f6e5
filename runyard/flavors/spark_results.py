"""Result types of ``spark_udf``: which Spark types a UDF may return (MLflow's set), the type a
model's output schema implies, and a batch of predictions turned into the pandas form Spark reads
for that type.

Scalars follow MLflow's rule: the leftmost output column that can be represented is returned
(``int``/``long``: an integer column whose values fit; ``float``/``double``: a numeric column;
``boolean``: a boolean or numeric column; ``string``: any column, as text). An array type takes
each row's sequence when the model returns one per row, otherwise every matching column of the
row. A struct type takes the output columns of its field names.

Types are told apart by ``DataType.typeName()``, so this module imports neither pyspark nor
pandas when it is imported.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from runyard.errors import InvalidParameterValue
from runyard.models.datatypes import Array, DataType, Map, Object
from runyard.models.schema import ColSpec, Schema, TensorSpec

_logger = logging.getLogger(__name__)

# Spark type name -> numpy dtype of its values (None: Python strings)
SCALARS: dict[str, str | None] = {"integer": "int32", "long": "int64", "float": "float32", "double": "float64",
                                  "boolean": "bool", "string": None}
_SEQUENCES = (list, tuple, np.ndarray)
_INT_RANGE = {"integer": np.iinfo(np.int32), "long": np.iinfo(np.int64)}
_SUPPORTED = ("int, long, float, double, string, boolean; array<T> of those (nested arrays too); "
              "map<string, T>; a struct of fields of those types, e.g. 'label string, score double'")


def check_result_type(dtype: Any) -> None:
    """Raise ``InvalidParameterValue`` unless a UDF can return the Spark type ``dtype``."""
    problem = _unsupported_part(dtype, top=True)
    if problem is not None:
        raise InvalidParameterValue(
            f"spark_udf result_type {dtype.simpleString()!r} is not supported ({problem} cannot be returned); "
            f"supported: {_SUPPORTED}")


def _unsupported_part(dtype: Any, top: bool = False) -> str | None:
    name = dtype.typeName()
    if name in SCALARS:
        return None
    if name == "array":
        return _unsupported_part(dtype.elementType)
    if name == "map":
        if dtype.keyType.typeName() != "string":
            return f"map key {dtype.keyType.simpleString()} (keys must be strings)"
        return _unsupported_part(dtype.valueType)
    if name == "struct" and top:
        if not dtype.fields:
            return "an empty struct"
        return next((p for p in (_unsupported_part(f.dataType) for f in dtype.fields) if p), None)
    return "a nested struct" if name == "struct" else dtype.simpleString()


def result_type_from_schema(schema: Schema | None) -> Any:
    """The Spark type a model's output schema implies: its one output's type, or a struct of its
    outputs; ``double`` when the model has no output schema."""
    from pyspark.sql import types as T

    if schema is None:
        _logger.warning("spark_udf: no result_type given and the model has no output schema; returning double")
        return T.DoubleType()
    if len(schema.inputs) == 1:
        return _spark_type_of_spec(schema.inputs[0])
    return T.StructType([T.StructField(str(spec.name if spec.name is not None else i), _spark_type_of_spec(spec))
                         for i, spec in enumerate(schema.inputs)])


def _spark_type_of_spec(spec: ColSpec | TensorSpec) -> Any:
    from pyspark.sql import types as T

    if isinstance(spec, TensorSpec):
        scalar = DataType.from_numpy_type(spec.type)
        if scalar is None or len(spec.shape) > 3:
            raise _cannot_infer(spec)
        spark_type = _spark_scalar(scalar, spec)
        for _ in spec.shape[1:]:  # the first dimension counts rows
            spark_type = T.ArrayType(spark_type)
        return spark_type
    return _spark_type_of(spec.type, spec)


def _spark_type_of(spec_type: Any, spec: Any) -> Any:
    from pyspark.sql import types as T

    if isinstance(spec_type, DataType):
        return _spark_scalar(spec_type, spec)
    if isinstance(spec_type, Array):
        return T.ArrayType(_spark_type_of(spec_type.dtype, spec))
    if isinstance(spec_type, Map):
        return T.MapType(T.StringType(), _spark_type_of(spec_type.value_type, spec))
    if isinstance(spec_type, Object):
        return T.StructType([T.StructField(p.name, _spark_type_of(p.dtype, spec)) for p in spec_type.properties])
    raise _cannot_infer(spec)


def _spark_scalar(scalar: DataType, spec: Any) -> Any:
    from pyspark.sql import types as T

    types = {DataType.boolean: T.BooleanType, DataType.integer: T.IntegerType, DataType.long: T.LongType,
             DataType.float: T.FloatType, DataType.double: T.DoubleType, DataType.string: T.StringType}
    if scalar not in types:
        raise _cannot_infer(spec)
    return types[scalar]()


def _cannot_infer(spec: Any) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"spark_udf cannot return the model output {spec!r}: pass result_type (supported: {_SUPPORTED})")


def to_spark_result(predictions: Any, dtype: Any, rows: int) -> Any:
    """``predictions`` for ``rows`` input rows as Spark reads a pandas UDF's result of type
    ``dtype``: a Series, or a DataFrame of the fields for a struct type."""
    name = dtype.typeName()
    if name == "map" and isinstance(predictions, (list, tuple)):
        predictions = _object_series(predictions)  # one mapping per row, not a record per row
    frame = _as_frame(predictions)
    if len(frame) != rows:
        raise InvalidParameterValue(f"The model returned {len(frame)} predictions for {rows} input rows")
    if name == "struct":
        return _struct_result(frame, dtype)
    if name in ("array", "map"):
        return _nested_result(frame, dtype)
    return _scalar_result(frame, dtype)


def empty_result(dtype: Any) -> Any:
    """The result for a batch of no rows."""
    import pandas as pd

    if dtype.typeName() == "struct":
        return pd.DataFrame({f.name: empty_result(f.dataType) for f in dtype.fields})
    return pd.Series([], dtype=SCALARS.get(dtype.typeName()) or object)


def _as_frame(predictions: Any) -> Any:
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        return predictions.reset_index(drop=True)
    if isinstance(predictions, pd.Series):
        return predictions.reset_index(drop=True).to_frame()
    if isinstance(predictions, np.ndarray):
        if predictions.ndim == 2:
            return pd.DataFrame(predictions)
        return pd.Series(list(predictions) if predictions.ndim > 2 else predictions).to_frame()
    if isinstance(predictions, dict):
        if not any(isinstance(v, _SEQUENCES + (pd.Series,)) for v in predictions.values()):
            return pd.DataFrame([predictions])
        return pd.DataFrame({k: list(v) if isinstance(v, np.ndarray) and v.ndim > 1 else v
                             for k, v in predictions.items()})
    if isinstance(predictions, (list, tuple)):
        if predictions and all(isinstance(v, dict) for v in predictions):
            return pd.DataFrame.from_records(list(predictions))
        return pd.Series(list(predictions), dtype=object if _has_sequences(predictions) else None).to_frame()
    if np.isscalar(predictions):
        return pd.DataFrame([[predictions]])
    raise InvalidParameterValue(f"spark_udf cannot return model predictions of type {type(predictions).__name__}")


def _object_series(values: Any) -> Any:
    import pandas as pd

    return pd.Series(list(values), dtype=object)


def _has_sequences(values: Any) -> bool:
    return any(isinstance(v, _SEQUENCES + (dict,)) for v in values)


def _scalar_result(frame: Any, dtype: Any) -> Any:
    name = dtype.typeName()
    for column in frame.columns:
        converted = _leftmost_candidate(frame[column], name)
        if converted is not None:
            return converted
    found = ", ".join(f"{c!r} ({frame[c].dtype})" for c in frame.columns)
    raise InvalidParameterValue(
        f"spark_udf result_type {dtype.simpleString()!r}: no output column of the model can be returned as "
        f"{dtype.simpleString()} (the model returned {found})")


def _leftmost_candidate(series: Any, name: str) -> Any:
    from pandas.api import types as ptypes

    if name == "string":
        return _as_text(series)
    if ptypes.is_bool_dtype(series.dtype):
        return series.astype(bool) if name == "boolean" else None
    if name in _INT_RANGE:
        return _as_integer(series, name) if ptypes.is_integer_dtype(series.dtype) else None
    if not ptypes.is_numeric_dtype(series.dtype):
        return None
    if name == "boolean":
        return series.astype(bool) if not series.isna().any() else None
    return series.astype(SCALARS[name])


def _column_as(series: Any, name: str, field: str) -> Any:
    """A named output column (a struct field) converted to the scalar type ``name``."""
    import pandas as pd
    from pandas.api import types as ptypes

    if name == "string":
        return _as_text(series)
    result = None
    if name == "boolean":
        if (ptypes.is_bool_dtype(series.dtype) or ptypes.is_numeric_dtype(series.dtype)) and not series.isna().any():
            result = series.astype(bool)
    elif not ptypes.is_bool_dtype(series.dtype):
        try:
            numbers = pd.to_numeric(series)
        except (TypeError, ValueError):
            numbers = None
        if numbers is not None:
            result = _as_integer(numbers, name) if name in _INT_RANGE else numbers.astype(SCALARS[name])
    if result is None:
        raise InvalidParameterValue(
            f"spark_udf: output column {field!r} ({series.dtype}) cannot be returned as {name}")
    return result


def _as_integer(series: Any, name: str) -> Any:
    values = series.dropna()
    if len(values) and ((values != np.floor(values)).any() if values.dtype.kind == "f" else False):
        return None
    bounds = _INT_RANGE[name]
    if len(values) and (values.min() < bounds.min or values.max() > bounds.max):
        return None
    if series.isna().any():
        return series.astype("Int32" if name == "integer" else "Int64")
    return series.astype(SCALARS[name])


def _as_text(series: Any) -> Any:
    return _object_series(None if _is_missing(v) else _text(v) for v in series)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value.item() if isinstance(value, np.generic) else value)


def _is_missing(value: Any) -> bool:
    if value is None or isinstance(value, _SEQUENCES + (str, bytes, dict)):
        return value is None
    try:
        return bool(value != value)  # NaN and NaT differ from themselves
    except TypeError:  # pandas.NA has no truth value
        return True


def _nested_result(frame: Any, dtype: Any) -> Any:
    if len(frame.columns) == 1 and _has_sequences(frame.iloc[:, 0]):
        return _object_series(value_as(v, dtype) for v in frame.iloc[:, 0])
    if dtype.typeName() == "map":  # each row's columns as one mapping
        return _object_series(value_as(dict(zip(frame.columns, row)), dtype) for row in frame.itertuples(index=False))
    if dtype.typeName() == "array" and dtype.elementType.typeName() in SCALARS:
        element = dtype.elementType.typeName()
        columns = [c for c in frame.columns if _leftmost_candidate(frame[c], element) is not None]
        if columns:
            return _object_series(value_as(list(row), dtype) for row in frame[columns].itertuples(index=False))
    raise InvalidParameterValue(
        f"spark_udf result_type {dtype.simpleString()!r}: the model's output "
        f"({', '.join(f'{c!r} ({frame[c].dtype})' for c in frame.columns)}) cannot be returned as "
        f"{dtype.simpleString()}")


def _struct_result(frame: Any, dtype: Any) -> Any:
    import pandas as pd

    if not frame.columns.empty and len(frame.columns) == 1 and _has_sequences(frame.iloc[:, 0]):
        frame = pd.DataFrame.from_records([dict(v) for v in frame.iloc[:, 0]])  # one record per row
    columns = {str(c): c for c in frame.columns}
    missing = [f.name for f in dtype.fields if f.name not in columns]
    if missing:
        raise InvalidParameterValue(
            f"spark_udf result_type {dtype.simpleString()!r}: the model's output has no column "
            f"{', '.join(repr(m) for m in missing)} (its columns: {', '.join(repr(c) for c in columns)})")
    out = {}
    for field in dtype.fields:
        series = frame[columns[field.name]]
        kind = field.dataType.typeName()
        out[field.name] = (_column_as(series, kind, field.name) if kind in SCALARS
                           else _object_series(value_as(v, field.dataType) for v in series))
    return pd.DataFrame({name: series.reset_index(drop=True) for name, series in out.items()})


def value_as(value: Any, dtype: Any) -> Any:
    """One row's value (a sequence for arrays, a mapping for maps) converted to ``dtype``."""
    if _is_missing(value):
        return None
    name = dtype.typeName()
    if name == "array":
        return [value_as(v, dtype.elementType) for v in value]
    if name == "map":
        return {str(k): value_as(v, dtype.valueType) for k, v in dict(value).items()}
    if name == "string":
        return _text(value)
    if name in _INT_RANGE:
        number = float(value) if not isinstance(value, (int, np.integer)) else int(value)
        if number != int(number) or not _INT_RANGE[name].min <= int(number) <= _INT_RANGE[name].max:
            raise InvalidParameterValue(f"spark_udf: {value!r} cannot be returned as {name}")
        return int(number)
    if name == "boolean":
        return bool(value)
    return float(value)
