"""The model format: signatures and schemas (and, beside them, the MLmodel file and environments).

Facade of the model-format stack; it never imports the tracking client, stores or server.
"""

from runyard.models.enforcement import enforce_params, enforce_schema
from runyard.models.schema import (
    AnyType,
    Array,
    ColSpec,
    DataType,
    Map,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    TensorSpec,
)
from runyard.models.signature import ModelSignature, infer_signature

__all__ = [
    "AnyType",
    "Array",
    "ColSpec",
    "DataType",
    "Map",
    "ModelSignature",
    "Object",
    "ParamSchema",
    "ParamSpec",
    "Property",
    "Schema",
    "TensorSpec",
    "enforce_params",
    "enforce_schema",
    "infer_signature",
]
