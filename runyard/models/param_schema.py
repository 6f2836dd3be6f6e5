"""Inference parameters of a model: ``ParamSpec`` (name, type, default, shape) and ``ParamSchema``,
serialised as MLflow's ``signature.params`` JSON; ``enforce_params`` checks the params a caller
passes to ``predict`` against them.
"""

from __future__ import annotations

import copy
import datetime
import json
import logging
from typing import Any, Iterator

import numpy as np

from runyard.errors import InvalidParameterValue
from runyard.models.datatypes import OBJECT_TYPE, DataType, Object, type_from_dict, type_to_dict
from runyard.models.value_enforcement import enforce_value

_logger = logging.getLogger(__name__)

_NUMERIC = {
    DataType.integer: (int, np.int8, np.int16, np.int32, np.uint8, np.uint16),
    DataType.long: (int, np.integer),
    DataType.float: (int, float, np.integer, np.floating),
    DataType.double: (int, float, np.integer, np.floating),
}
_CONVERT = {DataType.integer: int, DataType.long: int, DataType.float: float, DataType.double: float}


def convert_param_value(value: Any, dtype: DataType, name: str) -> Any:
    """One scalar param value as the Python value of ``dtype`` (None stays None); raises otherwise."""
    if value is None:
        return None
    if dtype is DataType.datetime:
        try:
            converted = np.datetime64(value).item()
        except (TypeError, ValueError):
            converted = None
        if not isinstance(converted, datetime.date):
            raise InvalidParameterValue(f"Param '{name}' expects a datetime, got {value!r}")
        return converted
    if not np.isscalar(value):
        raise InvalidParameterValue(
            f"Param '{name}' expects a scalar of type {dtype.name}, got {type(value).__name__}"
        )
    if isinstance(value, (bool, np.bool_)):
        if dtype is DataType.boolean:
            return bool(value)
    elif dtype is DataType.string and isinstance(value, str):
        return str(value)
    elif dtype in _NUMERIC and isinstance(value, _NUMERIC[dtype]):
        return _CONVERT[dtype](value)
    raise InvalidParameterValue(
        f"Param '{name}' expects type {dtype.name}, got {type(value).__name__} {value!r}, "
        f"which cannot be converted to {dtype.name} safely"
    )


def _validate(value: Any, dtype: DataType | Object, shape: tuple[int, ...] | None, name: str) -> Any:
    if shape is None:
        if isinstance(dtype, Object):
            # The value is checked on a copy and passed on as given: models expect their own types.
            enforce_value(copy.deepcopy(value), dtype, where=f"param '{name}'")
            return value
        return convert_param_value(value, dtype, name)
    if shape == (-1,):
        if not isinstance(value, (list, np.ndarray)) or np.asarray(value, dtype=object).ndim != 1:
            raise InvalidParameterValue(
                f"Param '{name}' expects a 1-D list (shape (-1,)), got {type(value).__name__}"
            )
        return [convert_param_value(v, dtype, name) for v in value]
    raise InvalidParameterValue(
        f"Param '{name}' has shape {shape}; a param's shape is None (a scalar or object) or (-1,) (a list)"
    )


class ParamSpec:
    """One inference parameter: name, type (a DataType or an Object), default and shape."""

    def __init__(self, name: str, dtype: DataType | Object | str, default: Any,
                 shape: tuple[int, ...] | list[int] | None = None) -> None:
        self._name = str(name)
        self._shape = tuple(shape) if shape is not None else None
        if isinstance(dtype, str):
            if dtype not in DataType.__members__:
                raise InvalidParameterValue(
                    f"Param '{self._name}' has unsupported type '{dtype}'; expected one of "
                    f"{[t.name for t in DataType if t is not DataType.binary]} or an Object"
                )
            dtype = DataType[dtype]
        if not isinstance(dtype, (DataType, Object)):
            raise InvalidParameterValue(f"Param '{self._name}' type must be a DataType or Object, got {dtype!r}")
        if dtype is DataType.binary:
            raise InvalidParameterValue(f"Param '{self._name}' has type binary, which params do not support")
        self._dtype = dtype
        self._default = _validate(default, dtype, self._shape, self._name)

    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self) -> DataType | Object:
        return self._dtype

    @property
    def default(self) -> Any:
        return self._default

    @property
    def shape(self) -> tuple[int, ...] | None:
        return self._shape

    @classmethod
    def validate_param_spec(cls, value: Any, param_spec: "ParamSpec") -> Any:
        """``value`` checked and converted for ``param_spec``."""
        return _validate(value, param_spec.dtype, param_spec.shape, param_spec.name)

    def to_dict(self) -> dict[str, Any]:
        default = self.default
        if self.dtype is DataType.datetime and default is not None:
            default = [v.isoformat() for v in default] if self.shape else default.isoformat()
        return {"name": self.name, "default": default, "shape": self.shape, **type_to_dict(self.dtype)}

    @classmethod
    def from_json_dict(cls, **kwargs: Any) -> "ParamSpec":
        kind = kwargs.get("type", kwargs.get("dtype"))
        if "name" not in kwargs or "default" not in kwargs or kind is None:
            raise InvalidParameterValue(
                f"A param spec JSON needs 'name', 'type' and 'default'; got keys {sorted(kwargs)}"
            )
        dtype = type_from_dict({**kwargs, "type": kind}, f"param '{kwargs['name']}'") \
            if kind == OBJECT_TYPE else kind
        return cls(kwargs["name"], dtype, kwargs["default"], kwargs.get("shape"))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ParamSpec) and self.name == other.name and self.dtype == other.dtype
                and self.default == other.default and self.shape == other.shape)

    def __repr__(self) -> str:
        shape = f" (shape: {self.shape})" if self.shape is not None else ""
        return f"{self.name!r}: {self.dtype!r} (default: {self.default}){shape}"


class ParamSchema:
    """The inference parameters a model accepts."""

    def __init__(self, params: list[ParamSpec]) -> None:
        if not isinstance(params, list) or not all(isinstance(p, ParamSpec) for p in params):
            raise InvalidParameterValue("ParamSchema takes a list of ParamSpec")
        names = [p.name for p in params]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidParameterValue(f"ParamSchema has duplicated params: {duplicates}")
        self._params = params

    @property
    def params(self) -> list[ParamSpec]:
        return self._params

    def __len__(self) -> int:
        return len(self._params)

    def __iter__(self) -> Iterator[ParamSpec]:
        return iter(self._params)

    def to_dict(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self._params]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, json_str: str) -> "ParamSchema":
        try:
            body = json.loads(json_str)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterValue(f"Params schema JSON is not valid JSON: {exc}") from None
        if not isinstance(body, list) or not all(isinstance(x, dict) for x in body):
            raise InvalidParameterValue("Params schema JSON must be a list of objects")
        return cls([ParamSpec.from_json_dict(**x) for x in body])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParamSchema) and self._params == other._params

    def __repr__(self) -> str:
        return repr(self._params)


def enforce_params(params: dict[str, Any] | None, schema: ParamSchema | None) -> dict[str, Any] | None:
    """The params ``predict`` passes to the model: checked, converted, defaults filled in.

    As in MLflow, params the schema does not declare are dropped with a logged warning, and a
    model without a params schema gets none (a warning too, when some were passed).
    """
    if schema is None:
        if params is None or params == {}:
            return params
        ignored = list(params) if isinstance(params, dict) else "params that are not a dict"
        _logger.warning("This model's signature declares no params; ignoring %s", ignored)
        return {}
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InvalidParameterValue(f"params must be a dict, got {type(params).__name__}")
    params = {str(k): v for k, v in params.items()}
    declared = {p.name for p in schema.params}
    unknown = [k for k in params if k not in declared]
    if unknown:
        _logger.warning("Ignoring params %s: the model's signature declares only %s", unknown, sorted(declared))
    result: dict[str, Any] = {}
    errors = []
    for spec in schema.params:
        if spec.name not in params:
            result[spec.name] = spec.default
            continue
        try:
            result[spec.name] = ParamSpec.validate_param_spec(params[spec.name], spec)
        except InvalidParameterValue as exc:
            errors.append(exc.message)
    if errors:
        raise InvalidParameterValue("Invalid params: " + "; ".join(errors))
    return result
