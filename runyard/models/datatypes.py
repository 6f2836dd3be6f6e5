"""The value types a model signature speaks of: ``DataType`` scalars and the JSON-shaped
``Array``, ``Object`` (of ``Property``), ``Map`` and ``AnyType``.

Their ``to_dict`` forms are MLflow's MLmodel signature JSON, key for key and in the same order,
so a signature written here reads in MLflow and the reverse. ``merge_types`` widens two inferred
types into one (an object seen with different keys gets the union, keys missing somewhere
become optional); inference uses it for lists of records.
"""

from __future__ import annotations

import datetime as _dt
from enum import Enum
from typing import Any, Union

import numpy as np

from runyard.errors import InvalidParameterValue

ARRAY_TYPE = "array"
OBJECT_TYPE = "object"
MAP_TYPE = "map"
ANY_TYPE = "any"


class DataType(Enum):
    """Scalar column types of a signature (MLflow's names, numbers and numpy/pandas mappings)."""

    def __new__(cls, value: int, numpy_type: np.dtype, pandas_type: Any, python_type: type):
        member = object.__new__(cls)
        member._value_ = value
        member._numpy_type = numpy_type
        member._pandas_type = pandas_type
        member._python_type = python_type
        return member

    boolean = (1, np.dtype("bool"), np.dtype("bool"), bool)
    integer = (2, np.dtype("int32"), np.dtype("int32"), int)
    long = (3, np.dtype("int64"), np.dtype("int64"), int)
    float = (4, np.dtype("float32"), np.dtype("float32"), float)
    double = (5, np.dtype("float64"), np.dtype("float64"), float)
    # Strings and bytes live in object columns in pandas; numpy's flexible types have no length.
    string = (6, np.dtype("str"), object, str)
    binary = (7, np.dtype("bytes"), object, bytes)
    datetime = (8, np.dtype("datetime64[ns]"), np.dtype("datetime64[ns]"), _dt.date)

    def __repr__(self) -> str:
        return self.name

    def to_numpy(self) -> np.dtype:
        """The numpy dtype of this type."""
        return self._numpy_type

    def to_pandas(self) -> Any:
        """The pandas dtype of this type (``object`` for strings and bytes)."""
        return self._pandas_type

    def to_python(self) -> type:
        """The Python type of one value of this type."""
        return self._python_type

    @classmethod
    def all_types(cls) -> list["DataType"]:
        return list(cls)

    @classmethod
    def from_numpy_type(cls, np_type: Any) -> "DataType | None":
        """The type whose numpy dtype equals ``np_type``, or None."""
        return next((t for t in cls if t.to_numpy() == np_type), None)

    @classmethod
    def check_type(cls, data_type: "DataType", value: Any) -> bool:
        """Whether ``value`` is, by its exact Python or numpy type, a value of ``data_type``."""
        return type(value) in _SCALAR_TYPES[data_type]


_SCALAR_TYPES: dict[DataType, tuple[type, ...]] = {
    DataType.boolean: (bool, np.bool_),
    DataType.integer: (int, np.int32),
    DataType.long: (int, np.int64),
    DataType.float: (float, np.float32),
    DataType.double: (float, np.float64),
    DataType.string: (str, np.str_),
    DataType.binary: (bytes, bytearray, np.bytes_),
    DataType.datetime: (_dt.date, _dt.datetime, np.datetime64),
}

TypeSpec = Union[DataType, "Array", "Object", "Map", "AnyType"]


def as_type(value: Any, field: str) -> TypeSpec:
    """``value`` as a type: a type object, or a DataType given by name."""
    if isinstance(value, str):
        try:
            return DataType[value]
        except KeyError:
            raise InvalidParameterValue(
                f"Unsupported {field} '{value}': expected one of {[t.name for t in DataType]}, "
                "or an Array, Object, Map or AnyType"
            ) from None
    if isinstance(value, (DataType, Array, Object, Map, AnyType)):
        return value
    raise InvalidParameterValue(
        f"{field} must be a DataType, Array, Object, Map or AnyType, got {type(value).__name__}"
    )


def type_to_dict(value: TypeSpec) -> dict[str, Any]:
    """The JSON form of a type: ``{"type": name}`` for a DataType, the type's own form otherwise."""
    return {"type": value.name} if isinstance(value, DataType) else value.to_dict()


def type_from_dict(body: dict[str, Any], field: str = "type") -> TypeSpec:
    """Read a type from its JSON form (the dict that holds ``type`` and its own keys)."""
    if not isinstance(body, dict) or "type" not in body:
        raise InvalidParameterValue(f"{field} must be a JSON object with a 'type' key, got {body!r}")
    kind = body["type"]
    if kind == ARRAY_TYPE:
        return Array(type_from_dict(_nested(body, "items", field), f"{field}.items"))
    if kind == OBJECT_TYPE:
        properties = body.get("properties")
        if not isinstance(properties, dict):
            raise InvalidParameterValue(f"{field}: an object type needs a 'properties' JSON object")
        return Object([Property.from_json_dict(**{name: spec}) for name, spec in properties.items()])
    if kind == MAP_TYPE:
        return Map(type_from_dict(_nested(body, "values", field), f"{field}.values"))
    if kind == ANY_TYPE:
        return AnyType()
    return as_type(kind, field)


def _nested(body: dict[str, Any], key: str, field: str) -> dict[str, Any]:
    inner = body.get(key)
    if not isinstance(inner, dict):
        raise InvalidParameterValue(f"{field}: a {body['type']} type needs an '{key}' JSON object")
    return inner


class Array:
    """A list whose items all have one type."""

    def __init__(self, dtype: TypeSpec | str) -> None:
        self._dtype = as_type(dtype, "Array dtype")

    @property
    def dtype(self) -> TypeSpec:
        return self._dtype

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Array) and self.dtype == other.dtype

    def __repr__(self) -> str:
        return f"Array({self.dtype!r})"

    def to_dict(self) -> dict[str, Any]:
        return {"type": ARRAY_TYPE, "items": type_to_dict(self.dtype)}

    @classmethod
    def from_json_dict(cls, **kwargs: Any) -> "Array":
        return _expect(type_from_dict(kwargs, "Array"), cls)


class Property:
    """One named key of an ``Object``."""

    def __init__(self, name: str, dtype: TypeSpec | str, required: bool = True) -> None:
        if not isinstance(name, str):
            raise InvalidParameterValue(f"Property name must be a string, got {type(name).__name__}")
        self._name = name
        self._dtype = as_type(dtype, f"dtype of property '{name}'")
        self.required = bool(required)

    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self) -> TypeSpec:
        return self._dtype

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Property) and self.name == other.name
                and self.dtype == other.dtype and self.required == other.required)

    def __lt__(self, other: "Property") -> bool:
        return self.name < other.name

    def __repr__(self) -> str:
        return f"{self.name}: {self.dtype!r} ({'required' if self.required else 'optional'})"

    def to_dict(self) -> dict[str, Any]:
        return {self.name: {**type_to_dict(self.dtype), "required": self.required}}

    @classmethod
    def from_json_dict(cls, **kwargs: Any) -> "Property":
        if len(kwargs) != 1:
            raise InvalidParameterValue(f"A property's JSON has one key, its name; got {len(kwargs)} keys")
        name, body = next(iter(kwargs.items()))
        return cls(name, type_from_dict(body, f"property '{name}'"), body.get("required", True))


class Object:
    """A JSON object with known keys; properties are kept sorted by name, as MLflow does."""

    def __init__(self, properties: list[Property]) -> None:
        if not isinstance(properties, list) or not properties:
            raise InvalidParameterValue("Object properties must be a non-empty list of Property")
        if not all(isinstance(p, Property) for p in properties):
            raise InvalidParameterValue("Object properties must all be Property instances")
        names = [p.name for p in properties]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidParameterValue(f"Object has duplicated property names: {duplicates}")
        self._properties = sorted(properties)

    @property
    def properties(self) -> list[Property]:
        return self._properties

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Object) and self.properties == other.properties

    def __repr__(self) -> str:
        return "{" + ", ".join(map(repr, self.properties)) + "}"

    def to_dict(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for prop in self.properties:
            merged.update(prop.to_dict())
        return {"type": OBJECT_TYPE, "properties": merged}

    @classmethod
    def from_json_dict(cls, **kwargs: Any) -> "Object":
        return _expect(type_from_dict(kwargs, "Object"), cls)


class Map:
    """A JSON object with string keys and values of one type."""

    def __init__(self, value_type: TypeSpec | str) -> None:
        self._value_type = as_type(value_type, "Map value_type")

    @property
    def value_type(self) -> TypeSpec:
        return self._value_type

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Map) and self.value_type == other.value_type

    def __repr__(self) -> str:
        return f"Map(str -> {self.value_type!r})"

    def to_dict(self) -> dict[str, Any]:
        return {"type": MAP_TYPE, "values": type_to_dict(self.value_type)}

    @classmethod
    def from_json_dict(cls, **kwargs: Any) -> "Map":
        return _expect(type_from_dict(kwargs, "Map"), cls)


class AnyType:
    """Any JSON value, None included; nothing is checked."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AnyType)

    def __repr__(self) -> str:
        return "Any"

    def to_dict(self) -> dict[str, Any]:
        return {"type": ANY_TYPE}


def _expect(value: TypeSpec, cls: type) -> Any:
    if not isinstance(value, cls):
        raise InvalidParameterValue(f"Type mismatch: expected a {cls.__name__} JSON, got {value!r}")
    return value


def merge_types(first: TypeSpec, second: TypeSpec) -> TypeSpec:
    """One type that covers values of both types; raises when they cannot meet.

    AnyType (inferred from None or an empty container) gives way to the other type, and makes an
    object's properties optional; objects merge key by key.
    """
    if isinstance(first, AnyType):
        return second if isinstance(second, (DataType, AnyType)) else merge_types(second, first)
    if isinstance(first, DataType):
        if first == second or isinstance(second, AnyType):
            return first
        raise InvalidParameterValue(f"Types {first!r} and {second!r} are incompatible")
    if isinstance(second, AnyType):
        if isinstance(first, Object):
            return Object([Property(p.name, p.dtype, required=False) for p in first.properties])
        return first
    if isinstance(first, Array) and isinstance(second, Array):
        return Array(merge_types(first.dtype, second.dtype))
    if isinstance(first, Map) and isinstance(second, Map):
        return Map(merge_types(first.value_type, second.value_type))
    if isinstance(first, Object) and isinstance(second, Object):
        return _merge_objects(first, second)
    raise InvalidParameterValue(f"Types {first!r} and {second!r} are incompatible")


def _merge_objects(first: Object, second: Object) -> Object:
    left = {p.name: p for p in first.properties}
    right = {p.name: p for p in second.properties}
    merged = []
    for name in left.keys() | right.keys():
        if name in left and name in right:
            merged.append(Property(name, merge_types(left[name].dtype, right[name].dtype),
                                   left[name].required and right[name].required))
        else:
            only = left.get(name) or right[name]
            merged.append(Property(name, only.dtype, required=False))
    return Object(merged)
