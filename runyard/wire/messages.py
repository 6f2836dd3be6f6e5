"""Request messages: which fields each MLflow request carries, and decoding them from JSON or a
query string into plain, typed Python values.

A message is a dict of field name -> type. A trailing ``!`` on the name marks a required field.
Types: ``str``, ``int`` (int64/int32), ``float`` (double), ``bool``, a nested message (dict), a
list holding one type (repeated), or an ``Enum`` instance. Requests may use the proto name or its
lowerCamel JSON name for a field, as MLflow's parser accepts, but not both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from runyard.errors import InvalidParameterValue

MAX_REPEATED = 100_000


@dataclass(frozen=True)
class Enum:
    """An enum field: accepted as a name or a number, decoded to the name."""

    names: tuple[str, ...]
    numbers: tuple[int, ...]

    def decode(self, field: str, value: Any) -> str:
        if isinstance(value, str):
            if value in self.names:
                return value
            if value.isascii() and len(value) < 32 and value.lstrip("-").isdigit():
                value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and value in self.numbers:
            return self.names[self.numbers.index(value)]
        raise InvalidParameterValue(
            f"Invalid value {value!r} for parameter '{field}': expected one of {', '.join(self.names)}"
        )


VIEW_TYPE = Enum(("ACTIVE_ONLY", "DELETED_ONLY", "ALL"), (1, 2, 3))
RUN_STATUS = Enum(("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"), (1, 2, 3, 4, 5))
LOGGED_MODEL_STATUS = Enum(
    ("LOGGED_MODEL_STATUS_UNSPECIFIED", "LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY",
     "LOGGED_MODEL_UPLOAD_FAILED"),
    (0, 1, 2, 3),
)

KEY_VALUE = {"key": str, "value": str}
METRIC = {
    "key!": str, "value!": float, "timestamp!": int, "step": int,
    "dataset_name": str, "dataset_digest": str, "model_id": str, "run_id": str,
}
DATASET = {"name!": str, "digest!": str, "source_type!": str, "source!": str, "schema": str, "profile": str}
DATASET_INPUT = {"tags": [KEY_VALUE], "dataset!": DATASET}
RUN_ID = {"run_id": str, "run_uuid": str}

MESSAGES: dict[str, dict[str, Any]] = {
    # experiments
    "CreateExperiment": {"name!": str, "artifact_location": str, "tags": [KEY_VALUE]},
    "SearchExperiments": {"max_results": int, "page_token": str, "filter": str, "order_by": [str],
                          "view_type": VIEW_TYPE},
    "GetExperiment": {"experiment_id!": str},
    "GetExperimentByName": {"experiment_name!": str},
    "DeleteExperiment": {"experiment_id!": str},
    "RestoreExperiment": {"experiment_id!": str},
    "UpdateExperiment": {"experiment_id!": str, "new_name": str},
    "SetExperimentTag": {"experiment_id!": str, "key!": str, "value!": str},
    "DeleteExperimentTag": {"experiment_id!": str, "key!": str},
    # runs
    "CreateRun": {"experiment_id": str, "user_id": str, "run_name": str, "start_time": int,
                  "tags": [KEY_VALUE]},
    "UpdateRun": {**RUN_ID, "status": RUN_STATUS, "end_time": int, "run_name": str},
    "DeleteRun": {"run_id!": str},
    "RestoreRun": {"run_id!": str},
    "GetRun": dict(RUN_ID),
    "SearchRuns": {"experiment_ids": [str], "filter": str, "run_view_type": VIEW_TYPE, "max_results": int,
                   "order_by": [str], "page_token": str},
    "LogMetric": {**RUN_ID, "key!": str, "value!": float, "timestamp!": int, "step": int,
                  "model_id": str, "dataset_name": str, "dataset_digest": str},
    "LogParam": {**RUN_ID, "key!": str, "value!": str},
    "SetTag": {**RUN_ID, "key!": str, "value!": str},
    "DeleteTag": {"run_id!": str, "key!": str},
    "LogBatch": {"run_id": str, "metrics": [METRIC], "params": [KEY_VALUE], "tags": [KEY_VALUE]},
    "LogInputs": {"run_id!": str, "datasets": [DATASET_INPUT], "models": [{"model_id!": str}]},
    "LogOutputs": {"run_id!": str, "models": [{"model_id!": str, "step!": int}]},
    "LogModel": {"run_id": str, "model_json": str},
    "GetMetricHistory": {**RUN_ID, "metric_key!": str, "page_token": str, "max_results": int},
    "GetMetricHistoryBulkInterval": {"run_ids": [str], "metric_key!": str, "start_step": int,
                                     "end_step": int, "max_results": int},
    "ListArtifacts": {**RUN_ID, "path": str, "page_token": str},
    # logged models
    "CreateLoggedModel": {"experiment_id!": str, "name": str, "model_type": str, "source_run_id": str,
                          "params": [KEY_VALUE], "tags": [KEY_VALUE]},
    "FinalizeLoggedModel": {"model_id!": str, "status!": LOGGED_MODEL_STATUS},
    # allow_deleted is runyard's addition (MLflow servers ignore it).
    "GetLoggedModel": {"model_id!": str, "allow_deleted": bool},
    "DeleteLoggedModel": {"model_id!": str},
    "SearchLoggedModels": {
        "experiment_ids": [str], "filter": str,
        "datasets": [{"dataset_name!": str, "dataset_digest": str}], "max_results": int,
        "order_by": [{"field_name!": str, "ascending": bool, "dataset_name": str, "dataset_digest": str}],
        "page_token": str,
    },
    "SetLoggedModelTags": {"model_id!": str, "tags": [KEY_VALUE]},
    "DeleteLoggedModelTag": {"model_id!": str, "tag_key!": str},
    "LogLoggedModelParams": {"model_id!": str, "params": [KEY_VALUE]},
    "ListLoggedModelArtifacts": {"model_id!": str, "artifact_directory_path": str, "page_token": str},
    # model registry
    "CreateRegisteredModel": {"name!": str, "tags": [KEY_VALUE], "description": str, "deployment_job_id": str},
    "RenameRegisteredModel": {"name!": str, "new_name": str},
    "UpdateRegisteredModel": {"name!": str, "description": str, "deployment_job_id": str},
    "DeleteRegisteredModel": {"name!": str},
    "GetRegisteredModel": {"name!": str},
    "SearchRegisteredModels": {"filter": str, "max_results": int, "order_by": [str], "page_token": str},
    "GetLatestVersions": {"name!": str, "stages": [str]},
    "SetRegisteredModelTag": {"name!": str, "key!": str, "value!": str},
    "DeleteRegisteredModelTag": {"name!": str, "key!": str},
    "SetRegisteredModelAlias": {"name!": str, "alias!": str, "version!": str},
    "DeleteRegisteredModelAlias": {"name!": str, "alias!": str},
    "GetModelVersionByAlias": {"name!": str, "alias!": str},
    "CreateModelVersion": {"name!": str, "source!": str, "run_id": str, "tags": [KEY_VALUE], "run_link": str,
                           "description": str, "model_id": str},
    "UpdateModelVersion": {"name!": str, "version!": str, "description": str},
    "TransitionModelVersionStage": {"name!": str, "version!": str, "stage!": str, "archive_existing_versions!": bool},
    "DeleteModelVersion": {"name!": str, "version!": str},
    "GetModelVersion": {"name!": str, "version!": str},
    "SearchModelVersions": {"filter": str, "max_results": int, "order_by": [str], "page_token": str},
    "GetModelVersionDownloadUri": {"name!": str, "version!": str},
    "SetModelVersionTag": {"name!": str, "version!": str, "key!": str, "value!": str},
    "DeleteModelVersionTag": {"name!": str, "version!": str, "key!": str},
    # runyard's audit trail: times in ms; version-at takes exactly one of stage and alias
    "GetRegistryHistory": {"name!": str, "since": int, "until": int},
    "GetVersionAt": {"name!": str, "timestamp!": int, "stage": str, "alias": str},
    "Empty": {},
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _compile(message: dict[str, Any]) -> tuple[dict[str, tuple[str, Any]], tuple[str, ...]]:
    """Field lookup by proto and camel name -> (proto name, type); and the required names."""
    fields: dict[str, tuple[str, Any]] = {}
    required = []
    for raw, kind in message.items():
        name = raw.rstrip("!")
        if raw.endswith("!"):
            required.append(name)
        if isinstance(kind, dict):
            kind = _compiled(kind)
        elif isinstance(kind, list) and isinstance(kind[0], dict):
            kind = [_compiled(kind[0])]
        fields[name] = (name, kind)
        camel = _camel(name)
        if camel != name:
            fields[camel] = (name, kind)
    return fields, tuple(required)


_COMPILED: dict[int, tuple[dict[str, tuple[str, Any]], tuple[str, ...]]] = {}


def _compiled(message: dict[str, Any]):
    key = id(message)
    found = _COMPILED.get(key)
    if found is None:
        found = _COMPILED[key] = _compile(message)
    return found


def _scalar(field: str, kind: Any, value: Any) -> Any:
    if kind is str:
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
            # Clients send ids such as experiment_id as numbers; a float ("1e999") is no id.
            return str(value)
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and value.isascii() and len(value) < 32 and value.strip().lstrip("-").isdigit():
            number = int(value)
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        else:
            number = None
        if number is not None:
            if -(2**63) <= number < 2**63:
                return number
            raise InvalidParameterValue(f"Invalid value {value!r} for parameter '{field}': out of the int64 range")
    elif kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                number = None
            if number is not None and (value.strip() in ("NaN", "Infinity", "-Infinity") or math.isfinite(number)):
                return number
    elif kind is bool:
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
    elif isinstance(kind, Enum):
        return kind.decode(field, value)
    elif isinstance(kind, tuple):
        return _decode(field + ".", kind, value)
    raise InvalidParameterValue(
        f"Invalid value {_short(value)} for parameter '{field}' supplied: expected {_type_name(kind)}"
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _type_name(kind: Any) -> str:
    if isinstance(kind, tuple):
        return "an object"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(kind, "a value")


def _decode(prefix: str, compiled, data: Any) -> dict[str, Any]:
    fields, required = compiled
    if type(data) is not dict and not isinstance(data, Mapping):
        raise InvalidParameterValue(f"Invalid value {_short(data)} for '{prefix.rstrip('.') or 'request'}': "
                                    "expected a JSON object")
    out: dict[str, Any] = {}
    for key, value in data.items():
        found = fields.get(key)
        if found is None or value is None:
            continue  # unknown fields are ignored, as MLflow's parser does
        name, kind = found
        if name in out:
            raise InvalidParameterValue(f"Parameter '{prefix}{name}' was given twice (as '{name}' and "
                                        f"'{_camel(name)}')")
        field = prefix + name
        if isinstance(kind, list):
            if not isinstance(value, list):
                value = [value]
            if len(value) > MAX_REPEATED:
                raise InvalidParameterValue(f"Parameter '{field}' has {len(value)} values; at most "
                                            f"{MAX_REPEATED} are allowed")
            out[name] = [_scalar(f"{field}[{i}]", kind[0], item) for i, item in enumerate(value)]
        else:
            out[name] = _scalar(field, kind, value)
    for name in required:
        # An empty string counts as missing, except for values ("" is a legal tag or param value).
        if name not in out or (out[name] == "" and name != "value"):
            raise InvalidParameterValue(
                f"Missing value for required parameter '{prefix}{name}'. See the API docs for more "
                "information about request parameters."
            )
    return out


class _NotPlain(Exception):
    """The fast path met something it does not decide on; the full decoder takes over."""


_INT64 = 2**63


def _fast_value(kind: Any, value: Any) -> Any:
    vtype = type(value)
    if kind is str:
        if vtype is str:
            return value
    elif kind is float:
        if vtype is float:
            return value
        if vtype is int:
            return float(value)
    elif kind is int:
        if vtype is int and -_INT64 <= value < _INT64:
            return value
    elif vtype is dict and type(kind) is tuple:
        return _fast(kind, value)
    raise _NotPlain


def _fast(compiled, data: dict) -> dict[str, Any]:
    """Decode well-formed JSON (exact types, nothing missing) without building any field names;
    1,000-point batches spend most of their decoding time on those otherwise."""
    fields, required = compiled
    out: dict[str, Any] = {}
    for key, value in data.items():
        found = fields.get(key)
        if found is None or value is None:
            continue
        name, kind = found
        vtype = type(value)
        # The common cases inline; everything else through _fast_value.
        if kind is str and vtype is str:
            pass
        elif kind is float and vtype is float:
            pass
        elif kind is int and vtype is int and -_INT64 <= value < _INT64:
            pass
        elif type(kind) is list:
            if vtype is not list or len(value) > MAX_REPEATED:
                raise _NotPlain
            item_kind = kind[0]
            if type(item_kind) is tuple:
                value = [_fast(item_kind, item) if type(item) is dict else _fast_value(item_kind, item)
                         for item in value]
            else:
                value = [_fast_value(item_kind, item) for item in value]
        else:
            value = _fast_value(kind, value)
        if name in out:
            raise _NotPlain
        out[name] = value
    for name in required:
        if name not in out or (out[name] == "" and name != "value"):
            raise _NotPlain
    return out


def decode(message: str, data: Any) -> dict[str, Any]:
    """Decode a JSON request body (already parsed) for ``message``."""
    compiled = _compiled(MESSAGES[message])
    if data is None:
        data = {}
    if type(data) is dict:
        try:
            return _fast(compiled, data)
        except _NotPlain:
            pass  # the full decoder accepts what it can and names the field it cannot
    return _decode("", compiled, data)


def query_data(message: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Query-string pairs as the JSON object they stand for: repeated fields become lists."""
    fields, _ = _compiled(MESSAGES[message])
    data: dict[str, Any] = {}
    for key, value in pairs:
        found = fields.get(key)
        if found is not None and isinstance(found[1], list):
            data.setdefault(key, []).append(value)
        elif key in data:
            raise InvalidParameterValue(f"Parameter '{key}' was given more than once")
        else:
            data[key] = value
    return data


def decode_query(message: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Decode query-string pairs for ``message``."""
    return decode(message, query_data(message, pairs))
