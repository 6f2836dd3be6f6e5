"""``ModelSignature``: the schemas of a model's inputs, outputs and inference params, as stored
under ``signature`` in an MLmodel file; ``infer_signature`` builds one from example data."""

from __future__ import annotations

import logging
from typing import Any

from runyard.errors import InvalidParameterValue
from runyard.models.datatypes import AnyType, DataType
from runyard.models.inference import infer_param_schema, infer_schema
from runyard.models.param_schema import ParamSchema
from runyard.models.schema import ColSpec, Schema

_logger = logging.getLogger(__name__)

__all__ = ["ModelSignature", "infer_signature"]


class ModelSignature:
    """Input schema, output schema and params schema of a model; any may be None, not all."""

    def __init__(self, inputs: Schema | None = None, outputs: Schema | None = None,
                 params: ParamSchema | None = None) -> None:
        for field, value, cls in (("inputs", inputs, Schema), ("outputs", outputs, Schema),
                                  ("params", params, ParamSchema)):
            if value is not None and not isinstance(value, cls):
                raise InvalidParameterValue(
                    f"ModelSignature {field} must be a {cls.__name__} or None, got {type(value).__name__}"
                )
        if inputs is None and outputs is None and params is None:
            raise InvalidParameterValue("ModelSignature needs at least one of inputs, outputs or params")
        self.inputs = inputs
        self.outputs = outputs
        self.params = params
        # MLmodel's is_signature_from_type_hint / type_hint_from_example, set by whoever builds it.
        self._is_signature_from_type_hint = False
        self._is_type_hint_from_example = False

    def to_dict(self) -> dict[str, str | None]:
        """The MLmodel form: each schema as a JSON string, or None."""
        return {
            "inputs": self.inputs.to_json() if self.inputs else None,
            "outputs": self.outputs.to_json() if self.outputs else None,
            "params": self.params.to_json() if self.params else None,
        }

    @classmethod
    def from_dict(cls, signature_dict: dict[str, Any]) -> "ModelSignature":
        """Read the MLmodel form (``{"inputs": <json>, "outputs": <json>, "params": <json>}``)."""
        if not isinstance(signature_dict, dict):
            raise InvalidParameterValue(f"signature must be a mapping, got {type(signature_dict).__name__}")
        inputs, outputs, params = (signature_dict.get(k) for k in ("inputs", "outputs", "params"))
        return cls(
            Schema.from_json(inputs) if inputs else None,
            Schema.from_json(outputs) if outputs else None,
            ParamSchema.from_json(params) if params else None,
        )

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ModelSignature) and self.inputs == other.inputs
                and self.outputs == other.outputs and self.params == other.params)

    def __repr__(self) -> str:
        return f"inputs: \n  {self.inputs!r}\noutputs: \n  {self.outputs!r}\nparams: \n  {self.params!r}\n"


def infer_signature(model_input: Any = None, model_output: Any = None,
                    params: dict[str, Any] | None = None) -> ModelSignature:
    """Infer a signature from example input, output and params.

    Inputs and outputs may be pandas DataFrames or Series, numpy arrays, dicts of arrays, scipy
    sparse matrices, lists of records, dicts, lists or scalars. Data whose schema cannot be
    inferred gets a schema of one column of any type (with a logged warning), as in MLflow;
    params that cannot be inferred raise.
    """
    schemas: dict[str, Schema | None] = {}
    for key, data in (("inputs", model_input), ("outputs", model_output)):
        schemas[key] = None if data is None else _infer_or_any(key, data)
    param_schema = infer_param_schema(params) if params else None
    return ModelSignature(schemas["inputs"], schemas["outputs"], param_schema)


def _infer_or_any(key: str, data: Any) -> Schema:
    try:
        schema = infer_schema(data)
    except Exception as exc:  # noqa: BLE001 - any failure gives the permissive schema, as MLflow does
        _logger.warning("Could not infer a schema for %s (%s); using Schema([ColSpec(AnyType())]), "
                        "which checks nothing", key, exc)
        return Schema([ColSpec(AnyType())])
    if not schema.is_tensor_spec() and any(t in (DataType.integer, DataType.long) for t in schema.input_types()):
        # MLflow raises a UserWarning here; a log line says the same without failing strict test runs.
        _logger.info("The %s schema has integer columns: missing values at inference time arrive as "
                     "floats and fail schema enforcement; declare such columns as double", key)
    return schema


# MLflow's private name, which user code and flavors call.
_infer_schema = infer_schema
