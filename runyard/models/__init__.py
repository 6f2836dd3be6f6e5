"""The model format: signatures and schemas (and, beside them, the MLmodel file and environments).

Facade of the model-format stack; it never imports the tracking client, stores or server at import
time. ``get_model_info`` takes any model URI (``runs:/``, ``models:/<model_id>``, ...), so it is
resolved on first use from the layer that talks to stores (``runyard.fluent.models``), as the
top-level ``runyard`` facade does for its names; so are ``evaluate`` and its types, from
``runyard.evaluation`` (which logs to runs).
"""

from __future__ import annotations

import importlib
from typing import Any

from runyard.models.enforcement import enforce_params, enforce_schema
from runyard.models.input_example import convert_input_example_to_serving_input
from runyard.models.model import MLMODEL_FILE_NAME, Model, ModelInfo
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
    "EvaluationArtifact",
    "EvaluationMetric",
    "EvaluationResult",
    "MLMODEL_FILE_NAME",
    "Map",
    "Model",
    "ModelInfo",
    "ModelSignature",
    "Object",
    "ParamSchema",
    "ParamSpec",
    "Property",
    "Schema",
    "TensorSpec",
    "convert_input_example_to_serving_input",
    "enforce_params",
    "enforce_schema",
    "evaluate",
    "get_model_info",
    "infer_signature",
    "make_metric",
]

_LAZY = {"get_model_info": "runyard.fluent.models", "evaluate": "runyard.evaluation",
         "EvaluationArtifact": "runyard.evaluation", "EvaluationMetric": "runyard.evaluation",
         "EvaluationResult": "runyard.evaluation", "make_metric": "runyard.evaluation"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'runyard.models' has no attribute {name!r}")
