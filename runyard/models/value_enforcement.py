"""Checking values against signature types, with the safe conversions MLflow's pyfunc makes.

``convert_array`` is the rule for a column of one ``DataType`` (numpy only; the pandas side is in
``enforcement``): widening within a kind (int32 -> long, float32 -> double), small integers to
double, 0/1 integers to floats, any datetime precision to nanoseconds; everything that could alter
values (double -> float, float -> long, int64 -> double, text -> numbers) is refused with an error
that names the column and the type it expects. ``enforce_value`` applies a type to one Python value
(nested arrays, objects and maps included).
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import numpy as np

from runyard.errors import InvalidParameterValue
from runyard.models.datatypes import AnyType, Array, DataType, Map, Object, TypeSpec

SCHEMA_ENFORCEMENT_FAILED = "SCHEMA_ENFORCEMENT_FAILED"
_DATE_TYPES = (datetime.date,)  # datetime.datetime is a date too
# Types whose values are taken as they are, never converted (str counts as binary, as in pandas 3).
_TEXT_AND_FLAGS = {DataType.string: (str,), DataType.binary: (bytes, bytearray, str),
                   DataType.boolean: (bool, np.bool_)}
_INT_RANGES = {DataType.integer: (np.int32, 2**31), DataType.long: (np.int64, 2**63)}


def enforcement_error(message: str) -> InvalidParameterValue:
    """The error a failed schema check raises (MLflow's INVALID_PARAMETER_VALUE, its error class)."""
    return InvalidParameterValue(message, error_class=SCHEMA_ENFORCEMENT_FAILED)


def describe(t: DataType) -> str:
    """``long (int64)``: the signature's name for a type and the dtype a column of it has."""
    return f"{t.name} ({t.to_numpy()})" if t not in (DataType.string, DataType.binary) else t.name


def is_none_or_nan(value: Any) -> bool:
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    if value is None:
        return True
    # pandas' missing markers, recognised without importing pandas.
    return type(value).__name__ in ("NAType", "NaTType")


def convert_array(values: np.ndarray, t: DataType, column: str) -> np.ndarray:
    """``values`` as a column of type ``t``; raises when the conversion could alter a value."""
    kind = values.dtype.kind
    if t is DataType.string and kind in ("U", "O"):
        return values
    if t is DataType.binary and kind in ("S", "O", "U"):
        return values
    if t is DataType.boolean and kind == "O":
        # Converting would turn None into False.
        return values
    target = t.to_numpy()
    if values.dtype == target:
        return values
    if t is DataType.datetime and kind in ("M", "O", "U"):
        try:
            return values.astype("datetime64[ns]")
        except (TypeError, ValueError) as exc:
            raise enforcement_error(
                f"Incompatible input types for column {column}: expected datetime, and its values "
                f"could not be read as timezone-naive datetimes ({exc})"
            ) from None
    if t is DataType.double and kind == "O" and _all_decimal(values):
        return values.astype(np.float64)
    if _is_widening(values.dtype, target) or (
        values.dtype == np.int64 and target.kind == "f" and _all_zero_or_one(values)
    ):
        return values.astype(target)
    hint = ""
    if kind == "f" and target.kind == "i" and np.isnan(values).any() and _all_integral(values):
        hint = (" Hint: the column holds whole numbers and missing values; integer columns cannot "
                "hold missing values, so they arrive as floats. Declare the column as double, or "
                "infer the signature from data that has missing values.")
    raise enforcement_error(
        f"Incompatible input types for column {column}: expected {describe(t)}, got {values.dtype}; "
        f"{values.dtype} cannot be converted to {t.name} without changing values.{hint}"
    )


def _is_widening(actual: np.dtype, target: np.dtype) -> bool:
    if actual.kind == target.kind:
        return actual.itemsize <= target.itemsize
    if actual.kind == "u" and target.kind == "i":
        return actual.itemsize < target.itemsize
    if actual.kind in ("i", "u") and target == np.float64:
        # Up to 32-bit integers are exact in a double; 64-bit ones are not.
        return actual.itemsize <= 4
    return False


def _all_zero_or_one(values: np.ndarray) -> bool:
    return bool(np.isin(values, (0, 1)).all())


def _all_integral(values: np.ndarray) -> bool:
    present = values[~np.isnan(values)]
    return bool((present == np.floor(present)).all())


def _all_decimal(values: np.ndarray) -> bool:
    return all(isinstance(v, decimal.Decimal) or v is None for v in values)


def enforce_value(value: Any, dtype: TypeSpec, required: bool = True, where: str = "value") -> Any:
    """``value`` checked against ``dtype`` (converted where that is safe); ``where`` names it in errors."""
    if isinstance(dtype, AnyType):
        return value
    if isinstance(dtype, DataType):
        return enforce_scalar(value, dtype, required, where)
    if isinstance(dtype, Array):
        return _enforce_array(value, dtype, required, where)
    if isinstance(dtype, Object):
        return _enforce_object(value, dtype, required, where)
    if isinstance(dtype, Map):
        return _enforce_map(value, dtype, required, where)
    raise enforcement_error(f"{where}: unknown signature type {dtype!r}")


def enforce_scalar(value: Any, t: DataType, required: bool = True, where: str = "value") -> Any:
    if not required and is_none_or_nan(value):
        return None
    if not np.isscalar(value) and not isinstance(value, (decimal.Decimal,) + _DATE_TYPES):
        raise enforcement_error(f"{where}: expected a scalar of type {t.name}, got {type(value).__name__}")
    if t in _INT_RANGES and type(value) is int:
        # A Python int has no width of its own: it fits or it does not.
        np_type, bound = _INT_RANGES[t]
        if -bound <= value < bound:
            return np_type(value)
        raise enforcement_error(f"{where}: {value} is out of the range of {t.name}")
    accepted = _TEXT_AND_FLAGS.get(t)
    if accepted is not None:
        if isinstance(value, accepted):
            return value
        raise enforcement_error(f"{where}: expected {t.name}, got {type(value).__name__} {value!r}")
    array = np.asarray([value], dtype=object if isinstance(value, _DATE_TYPES) else None)
    try:
        return convert_array(array, t, "")[0]
    except InvalidParameterValue:
        raise enforcement_error(
            f"{where}: expected {t.name}, got {type(value).__name__} {value!r}, which cannot be "
            f"converted to {t.name} without changing it"
        ) from None


def _enforce_array(value: Any, arr: Array, required: bool, where: str) -> Any:
    if (not required or isinstance(arr.dtype, AnyType)) and (
        value is None or (isinstance(value, (list, np.ndarray)) and len(value) == 0)
    ):
        return value
    if not isinstance(value, (list, np.ndarray)):
        raise enforcement_error(f"{where}: expected a list ({arr!r}), got {type(value).__name__}")
    items = [enforce_value(v, arr.dtype, required, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.ndarray):
        return np.asarray(items) if isinstance(arr.dtype, DataType) else np.asarray(items, dtype=object)
    return [v.item() if isinstance(v, np.generic) and not isinstance(v, np.datetime64) else v for v in items]


def _enforce_object(value: Any, obj: Object, required: bool, where: str) -> Any:
    if not required and (value is None or value == {}):
        return value
    if not isinstance(value, dict):
        raise enforcement_error(f"{where}: expected an object {obj!r}, got {type(value).__name__}")
    properties = {p.name: p for p in obj.properties}
    missing = sorted(name for name, p in properties.items() if p.required and name not in value)
    if missing:
        raise enforcement_error(f"{where}: missing required properties {missing}")
    unknown = sorted(str(k) for k in value.keys() - properties.keys())
    if unknown:
        raise enforcement_error(f"{where}: properties {unknown} are not defined in the schema {obj!r}")
    return {k: enforce_value(v, properties[k].dtype, properties[k].required, f"{where}.{k}")
            for k, v in value.items()}


def _enforce_map(value: Any, map_type: Map, required: bool, where: str) -> Any:
    if (not required or isinstance(map_type.value_type, AnyType)) and (value is None or value == {}):
        return value
    if not isinstance(value, dict):
        raise enforcement_error(f"{where}: expected a map {map_type!r}, got {type(value).__name__}")
    if not all(isinstance(k, str) for k in value):
        raise enforcement_error(f"{where}: map keys must all be strings")
    return {k: enforce_value(v, map_type.value_type, required, f"{where}.{k}") for k, v in value.items()}
