"""Input rules shared by every store: keys, value limits, batch sizes, identifiers.

Every error names the field and the limit. Key checks are memoised because the same few metric
keys arrive thousands of times a second on the logging hot path.
"""

from __future__ import annotations

import math
import posixpath
import re
from numbers import Number
from typing import Any, Sequence

from runyard import config
from runyard.errors import InvalidParameterValue

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_RUN_NAME_LENGTH = 250
MAX_BATCH_METRICS = 1000
MAX_BATCH_PARAMS = 100
MAX_BATCH_TAGS = 100
MAX_BATCH_ENTITIES = 1000
MAX_DATASET_NAME_LENGTH = 500
MAX_DATASET_DIGEST_LENGTH = 36
MAX_DATASET_SOURCE_LENGTH = 65535
MAX_DATASET_SCHEMA_LENGTH = 1048575
MAX_DATASET_PROFILE_LENGTH = 16777215
MAX_INPUT_TAG_KEY_LENGTH = 255
MAX_INPUT_TAG_VALUE_LENGTH = 500
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_KEY_RE = re.compile(r"^[/\w.\- :]*$")
_RUN_ID_RE = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")
_EXPERIMENT_ID_RE = re.compile(r"^[a-zA-Z0-9][\w\-]{0,63}$")
_valid_keys: dict[str, set[str]] = {}  # field -> keys that passed, for the logging hot path
_MAX_REMEMBERED_KEYS = 100_000


def validate_key(key: Any, field: str) -> str:
    """A metric/param/tag key: <= 250 chars of ``[/\\w.\\- :]``, normalised, not escaping upward."""
    known = _valid_keys.get(field)
    if known is not None and isinstance(key, str) and key in known:
        return key
    if not isinstance(key, str):
        raise InvalidParameterValue(f"Invalid {field} {key!r}: must be a string, got {type(key).__name__}")
    if not key:
        raise InvalidParameterValue(f"Invalid {field} '': must be a non-empty string")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidParameterValue(
            f"Invalid {field} '{key[:40]}...': length {len(key)} exceeds the limit of {MAX_KEY_LENGTH} characters"
        )
    if not _KEY_RE.match(key):
        raise InvalidParameterValue(
            f"Invalid {field} {key!r}: names may only contain alphanumerics, underscores (_), "
            "dashes (-), periods (.), spaces ( ), colons (:) and slashes (/)"
        )
    if posixpath.normpath(key) != key or key == "." or key.startswith("..") or key.startswith("/"):
        raise InvalidParameterValue(
            f"Invalid {field} {key!r}: names may be treated as files in certain cases, and must not "
            "resolve to other names when treated as such (no '..', leading '/', './' or '//')"
        )
    known = _valid_keys.setdefault(field, set())
    if len(known) < _MAX_REMEMBERED_KEYS:
        known.add(key)
    return key


def known_keys(field: str) -> set[str]:
    """The live set of keys that already passed ``validate_key`` for ``field`` (read-only use)."""
    return _valid_keys.setdefault(field, set())


def validate_metric(key: Any, value: Any, timestamp: Any, step: Any) -> float:
    """Checks one metric point and returns its value as a float."""
    validate_key(key, "metric name")
    if isinstance(value, bool) or not isinstance(value, Number):
        raise InvalidParameterValue(
            f"Invalid value {value!r} for metric '{key}': must be a number (int or float), got "
            f"{type(value).__name__}"
        )
    try:
        as_float = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameterValue(f"Invalid value {value!r} for metric '{key}': not convertible to a double") from None
    validate_int64(timestamp, f"timestamp of metric '{key}'", minimum=0)
    validate_int64(step, f"step of metric '{key}'")
    return as_float


def validate_int64(value: Any, field: str, minimum: int = INT64_MIN) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InvalidParameterValue(f"Invalid {field} {value!r}: must be an integer")
    if value < minimum or value > INT64_MAX:
        raise InvalidParameterValue(
            f"Invalid {field} {value}: must be between {minimum} and {INT64_MAX} (a 64-bit integer)"
        )
    return value


def _limit_value(value: Any, limit: int, field: str, truncate: bool) -> str:
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return text
    if truncate and config.truncate_long_values():
        return text[:limit]
    raise InvalidParameterValue(
        f"Invalid {field}: length {len(text)} exceeds the limit of {limit} characters"
    )


def param_value(key: str, value: Any) -> str:
    """Param value as stored: str, truncated to 6000 chars unless truncation is turned off."""
    return _limit_value(value, MAX_PARAM_VALUE_LENGTH, f"value of param '{key}'", truncate=True)


def tag_value(key: str, value: Any) -> str:
    return _limit_value(value, MAX_TAG_VALUE_LENGTH, f"value of tag '{key}'", truncate=True)


def experiment_tag_value(key: str, value: Any) -> str:
    return _limit_value(value, MAX_EXPERIMENT_TAG_VALUE_LENGTH, f"value of experiment tag '{key}'", truncate=False)


def validate_batch_sizes(metrics: Sequence[Any], params: Sequence[Any], tags: Sequence[Any]) -> None:
    counts = (("metrics", len(metrics), MAX_BATCH_METRICS), ("params", len(params), MAX_BATCH_PARAMS),
              ("tags", len(tags), MAX_BATCH_TAGS))
    for field, count, limit in counts:
        if count > limit:
            raise InvalidParameterValue(
                f"A batch logging request can contain at most {limit} {field}. Got {count} {field}. "
                "Please split up the request into smaller batches and try again."
            )
    total = len(metrics) + len(params) + len(tags)
    if total > MAX_BATCH_ENTITIES:
        raise InvalidParameterValue(
            f"A batch logging request can contain at most {MAX_BATCH_ENTITIES} metrics, params and tags "
            f"in total. Got {total}. Please split up the request into smaller batches and try again."
        )


def validate_experiment_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameterValue(f"Invalid experiment name {name!r}: must be a non-empty string")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidParameterValue(
            f"Invalid experiment name: length {len(name)} exceeds the limit of {MAX_EXPERIMENT_NAME_LENGTH} characters"
        )
    return name


def validate_run_id(run_id: Any) -> str:
    if not isinstance(run_id, str) or not _RUN_ID_RE.match(run_id):
        raise InvalidParameterValue(f"Invalid run ID {run_id!r}: expected 1-256 characters of [a-zA-Z0-9_-]")
    return run_id


def validate_experiment_id(experiment_id: Any) -> str:
    text = str(experiment_id) if isinstance(experiment_id, int) and not isinstance(experiment_id, bool) else experiment_id
    if not isinstance(text, str) or not _EXPERIMENT_ID_RE.match(text):
        raise InvalidParameterValue(
            f"Invalid experiment ID {experiment_id!r}: expected 1-64 characters of [a-zA-Z0-9_-]"
        )
    return text


def validate_run_name(run_name: Any) -> str:
    if not isinstance(run_name, str):
        raise InvalidParameterValue(f"Invalid run name {run_name!r}: must be a string")
    if len(run_name) > MAX_RUN_NAME_LENGTH:
        raise InvalidParameterValue(
            f"Invalid run name: length {len(run_name)} exceeds the limit of {MAX_RUN_NAME_LENGTH} characters"
        )
    return run_name


def validate_length(value: Any, limit: int, field: str, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise InvalidParameterValue(f"Missing {field}: it is required")
        return value
    if not isinstance(value, str):
        raise InvalidParameterValue(f"Invalid {field} {value!r}: must be a string")
    if len(value) > limit:
        raise InvalidParameterValue(f"Invalid {field}: length {len(value)} exceeds the limit of {limit} characters")
    return value


def is_nan(value: float) -> bool:
    return value != value or (isinstance(value, float) and math.isnan(value))


def validate_max_results(max_results: Any, limit: int) -> int:
    """A positive int no larger than ``limit`` (the search routes' page-size rule)."""
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results <= 0:
        raise InvalidParameterValue(f"Invalid max_results {max_results!r}: must be a positive integer")
    if max_results > limit:
        raise InvalidParameterValue(f"Invalid max_results {max_results}: it must be at most {limit}")
    return max_results
