"""Schemas of a model's inputs and outputs: lists of ``ColSpec`` (columns) or ``TensorSpec``
(numpy tensors), serialised as MLflow's MLmodel signature JSON.

The JSON is byte-for-byte what MLflow writes (``json.dumps`` with its default separators, keys in
MLflow's order), so a schema written here reads in MLflow and the reverse.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import numpy as np

from runyard.errors import InvalidParameterValue
from runyard.models.datatypes import (
    AnyType,
    Array,
    DataType,
    Map,
    Object,
    Property,
    TypeSpec,
    as_type,
    type_from_dict,
    type_to_dict,
)
from runyard.models.param_schema import ParamSchema, ParamSpec

__all__ = [
    "AnyType", "Array", "ColSpec", "DataType", "Map", "Object", "ParamSchema", "ParamSpec",
    "Property", "Schema", "TensorSpec", "clean_tensor_type",
]


class ColSpec:
    """One column: its type, an optional name and whether it must be present."""

    def __init__(self, type: TypeSpec | str, name: Any = None, required: bool = True) -> None:
        self._type = as_type(type, f"type of column {name!r}" if name is not None else "column type")
        self.name = name
        self._required = True if required is None else bool(required)

    @property
    def type(self) -> TypeSpec:
        return self._type

    @property
    def required(self) -> bool:
        return self._required

    def to_dict(self) -> dict[str, Any]:
        body = type_to_dict(self.type)
        if self.name is not None:
            body["name"] = self.name
        body["required"] = self.required
        return body

    @classmethod
    def from_json_dict(cls, **kwargs: Any) -> "ColSpec":
        field = f"column {kwargs['name']!r}" if "name" in kwargs else "column"
        return cls(type_from_dict(kwargs, field), kwargs.get("name"), kwargs.get("required", True))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ColSpec) and self.name == other.name
                and self.type == other.type and self.required == other.required)

    def __repr__(self) -> str:
        required = "required" if self.required else "optional"
        if self.name is None:
            return f"{self.type!r} ({required})"
        return f"{self.name!r}: {self.type!r} ({required})"


def clean_tensor_type(dtype: np.dtype) -> np.dtype:
    """``dtype`` without the length of numpy's flexible string types (``<U5`` -> ``str``)."""
    if not isinstance(dtype, np.dtype):
        raise InvalidParameterValue(f"tensor type must be a numpy.dtype, got {type(dtype).__name__}")
    if dtype.char == "U":
        return np.dtype("str")
    if dtype.char == "S":
        return np.dtype("bytes")
    return dtype


class TensorSpec:
    """One numpy tensor: dtype, shape (-1 marks a dimension of any size) and an optional name."""

    def __init__(self, type: np.dtype, shape: tuple[int, ...] | list[int], name: str | None = None) -> None:
        if not isinstance(type, np.dtype):
            raise InvalidParameterValue(
                f"TensorSpec type must be a numpy.dtype (e.g. np.dtype('float32')), got {type!r}"
            )
        if type.char in ("U", "S") and type.itemsize != 0:
            raise InvalidParameterValue(
                f"TensorSpec type {type} carries a length; use np.dtype('{'str' if type.char == 'U' else 'bytes'}')"
            )
        if not isinstance(shape, (tuple, list)) or not all(_is_dim(d) for d in shape):
            raise InvalidParameterValue(f"TensorSpec shape must be a tuple of integers, got {shape!r}")
        self._type = type
        self._shape = tuple(int(d) for d in shape)
        self._name = name

    @property
    def type(self) -> np.dtype:
        return self._type

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def name(self) -> str | None:
        return self._name

    @property
    def required(self) -> bool:
        return True

    def to_dict(self) -> dict[str, Any]:
        spec = {"type": "tensor", "tensor-spec": {"dtype": self.type.name, "shape": self.shape}}
        return spec if self.name is None else {"name": self.name, **spec}

    @classmethod
    def from_json_dict(cls, **kwargs: Any) -> "TensorSpec":
        info = kwargs.get("tensor-spec")
        if kwargs.get("type") != "tensor" or not isinstance(info, dict) or not {"dtype", "shape"} <= info.keys():
            raise InvalidParameterValue(
                "A tensor spec JSON needs type 'tensor' and 'tensor-spec' with 'dtype' and 'shape', "
                f"got {kwargs!r}"
            )
        try:
            dtype = np.dtype(info["dtype"])
        except TypeError:
            raise InvalidParameterValue(f"Unknown tensor dtype {info['dtype']!r}") from None
        return cls(dtype, tuple(info["shape"]), kwargs.get("name"))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TensorSpec) and self.name == other.name
                and self.type == other.type and self.shape == other.shape)

    def __repr__(self) -> str:
        tensor = f"Tensor({self.type.name!r}, {self.shape!r})"
        return tensor if self.name is None else f"{self.name!r}: {tensor}"


def _is_dim(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


class Schema:
    """A dataset's columns or tensors: all ColSpec or all TensorSpec, all named or none."""

    def __init__(self, inputs: list[ColSpec | TensorSpec]) -> None:
        if not isinstance(inputs, list) or not inputs:
            raise InvalidParameterValue("Schema inputs must be a non-empty list of ColSpec or TensorSpec")
        if all(isinstance(x, ColSpec) for x in inputs):
            pass
        elif all(isinstance(x, TensorSpec) for x in inputs):
            if len(inputs) > 1 and any(x.name is None for x in inputs):
                raise InvalidParameterValue("A schema of several TensorSpecs must name every tensor")
        else:
            raise InvalidParameterValue(
                "Schema inputs must be all ColSpec or all TensorSpec, "
                f"got {sorted({type(x).__name__ for x in inputs})}"
            )
        named = [x.name is not None for x in inputs]
        if any(named) and not all(named):
            raise InvalidParameterValue(
                f"Schema inputs must be all named or all unnamed, got names {[x.name for x in inputs]}"
            )
        if not any(named) and not all(x.required for x in inputs):
            raise InvalidParameterValue("Unnamed schema inputs cannot be optional: name them or make them required")
        self._inputs = inputs

    @property
    def inputs(self) -> list[ColSpec | TensorSpec]:
        return self._inputs

    def __len__(self) -> int:
        return len(self._inputs)

    def __iter__(self) -> Iterator[ColSpec | TensorSpec]:
        return iter(self._inputs)

    def is_tensor_spec(self) -> bool:
        return isinstance(self._inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        return self._inputs[0].name is not None

    def input_names(self) -> list[Any]:
        """Names of the inputs, or their positions when the schema names none."""
        return [x.name if x.name is not None else i for i, x in enumerate(self._inputs)]

    def required_input_names(self) -> list[Any]:
        return [n for n, x in zip(self.input_names(), self._inputs) if x.required]

    def optional_input_names(self) -> list[Any]:
        return [n for n, x in zip(self.input_names(), self._inputs) if not x.required]

    def input_types(self) -> list[Any]:
        return [x.type for x in self._inputs]

    def input_dict(self) -> dict[Any, ColSpec | TensorSpec]:
        if not self.has_input_names():
            raise InvalidParameterValue("input_dict() needs a schema with named inputs")
        return {x.name: x for x in self._inputs}

    def input_types_dict(self) -> dict[Any, Any]:
        return {name: spec.type for name, spec in self.input_dict().items()}

    def numpy_types(self) -> list[np.dtype]:
        if self.is_tensor_spec():
            return [x.type for x in self._inputs]
        return [self._scalar_type(x).to_numpy() for x in self._inputs]

    def pandas_types(self) -> list[Any]:
        if self.is_tensor_spec():
            raise InvalidParameterValue("A TensorSpec schema has numpy types only; use numpy_types()")
        return [self._scalar_type(x).to_pandas() for x in self._inputs]

    @staticmethod
    def _scalar_type(spec: ColSpec) -> DataType:
        if not isinstance(spec.type, DataType):
            raise InvalidParameterValue(
                f"Column {spec.name!r} has type {spec.type!r}, which has no numpy or pandas dtype"
            )
        return spec.type

    def to_dict(self) -> list[dict[str, Any]]:
        return [x.to_dict() for x in self._inputs]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, json_str: str) -> "Schema":
        try:
            body = json.loads(json_str)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterValue(f"Schema JSON is not valid JSON: {exc}") from None
        if not isinstance(body, list) or not all(isinstance(x, dict) and "type" in x for x in body):
            raise InvalidParameterValue("Schema JSON must be a list of objects that each have a 'type'")
        return cls([
            TensorSpec.from_json_dict(**x) if x["type"] == "tensor" else ColSpec.from_json_dict(**x)
            for x in body
        ])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and self._inputs == other._inputs

    def __repr__(self) -> str:
        return repr(self._inputs)
