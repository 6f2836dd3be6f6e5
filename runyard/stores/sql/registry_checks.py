"""Input rules of the model registry (MLflow's, plus bounds on every text): model names, version
numbers, aliases, tags. Every error names the field and the limit."""

from __future__ import annotations

import posixpath
import re
from typing import Any, Sequence
from urllib.parse import unquote

from runyard import validation
from runyard.errors import InvalidParameterValue

MAX_MODEL_NAME_LENGTH = 256
MAX_REGISTRY_TAG_VALUE_LENGTH = 100_000
MAX_ALIAS_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 5000
MAX_SOURCE_LENGTH = 4000
MAX_RUN_LINK_LENGTH = 4000
MAX_RUN_ID_LENGTH = 32
MAX_VERSION = 2**31 - 1  # the column is a 32-bit integer; larger numbers name no version

_ALIAS_RE = re.compile(r"^[\w\-]*$")
_VERSION_ALIAS_RE = re.compile(r"^[vV]\d+$")
_FORBIDDEN_NAME_CHARACTERS = ("/", ":")


def _decoded(text: str) -> str:
    """``text`` percent-decoded until stable: a name must not spell a forbidden character encoded."""
    for _ in range(8):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


def checked_name(name: Any, field: str = "name") -> str:
    """A registered model name: non-empty, no '/' or ':' (encoded or not), no control characters,
    path-normalised, at most 256 characters."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameterValue(f"Missing value for required parameter '{field}'. A registered model "
                                    "name must be a non-empty string.")
    if len(name) > MAX_MODEL_NAME_LENGTH:
        raise InvalidParameterValue(
            f"Invalid {field} '{name[:40]}...': length {len(name)} exceeds the limit of "
            f"{MAX_MODEL_NAME_LENGTH} characters"
        )
    decoded = _decoded(name)
    if any(char in decoded for char in _FORBIDDEN_NAME_CHARACTERS):
        raise InvalidParameterValue(f"Invalid model name '{name}'. Names cannot contain '/' or ':'.")
    if any(ord(char) < 32 or ord(char) == 127 for char in decoded):
        raise InvalidParameterValue(f"Invalid model name {name!r}. Names cannot contain control characters.")
    normalised = posixpath.normpath(name)
    if normalised != name or normalised == "." or normalised.startswith(".."):
        raise InvalidParameterValue(
            f"Invalid value '{name}' for parameter '{field}': names may be treated as files in certain "
            "cases, and must not resolve to other names when treated as such."
        )
    return name


def checked_version(version: Any) -> int:
    """A version number given as an int or its decimal string (MLflow's rule: ``int(version)``)."""
    if isinstance(version, bool):
        raise InvalidParameterValue(f"Parameter 'version' must be an integer, got {version!r}.")
    if isinstance(version, int):
        return version
    if isinstance(version, str):
        try:
            return int(version)
        except ValueError:
            pass
    raise InvalidParameterValue(f"Parameter 'version' must be an integer, got {version!r}.")


def stored_version(version: int) -> bool:
    """Whether ``version`` can name a stored version at all (positive, fits the column)."""
    return 0 < version <= MAX_VERSION


def checked_alias(alias: Any, reserved_too: bool = True) -> str:
    """An alias: non-empty, ``^[\\w\\-]*$``, at most 255 characters; 'latest' and 'v<digits>' are
    reserved (refused when setting an alias)."""
    if not isinstance(alias, str) or alias == "":
        raise InvalidParameterValue("Registered model alias name cannot be empty.")
    if not _ALIAS_RE.match(alias):
        raise InvalidParameterValue(
            f"Invalid alias name: '{alias}'. Names may only contain alphanumerics, underscores (_) and "
            "dashes (-)."
        )
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidParameterValue(
            f"Invalid alias name '{alias[:40]}...': length {len(alias)} exceeds the limit of "
            f"{MAX_ALIAS_LENGTH} characters"
        )
    if reserved_too:
        if alias.lower() == "latest":
            raise InvalidParameterValue("'latest' alias name (case insensitive) is reserved.")
        if _VERSION_ALIAS_RE.match(alias):
            raise InvalidParameterValue(f"Version alias name '{alias}' is reserved.")
    return alias


def checked_tag(key: Any, value: Any, field: str) -> tuple[str, str]:
    """A registry tag: MLflow's key rules (at most 250 characters) and a string value of at most
    100,000 characters (no truncation)."""
    key = validation.validate_key(key, f"{field} key")
    if not isinstance(value, str):
        raise InvalidParameterValue(f"Invalid value {value!r} of {field} '{key}': must be a string")
    if len(value) > MAX_REGISTRY_TAG_VALUE_LENGTH:
        raise InvalidParameterValue(
            f"Invalid value of {field} '{key}': length {len(value)} exceeds the limit of "
            f"{MAX_REGISTRY_TAG_VALUE_LENGTH} characters"
        )
    return key, value


def tag_map(tags: Sequence[Any] | None, field: str) -> dict[str, str]:
    """Tags (objects with ``key``/``value``) checked, last value per key winning."""
    found: dict[str, str] = {}
    for tag in tags or ():
        key, value = checked_tag(getattr(tag, "key", None), getattr(tag, "value", None), field)
        found[key] = value
    return found


def checked_text(value: Any, limit: int, field: str) -> str | None:
    """An optional text (None or a string of at most ``limit`` characters)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidParameterValue(f"Invalid {field} {value!r}: must be a string")
    if len(value) > limit:
        raise InvalidParameterValue(f"Invalid {field}: length {len(value)} exceeds the limit of {limit} characters")
    return value


def checked_run_id(run_id: Any) -> str | None:
    """An optional run id (MLflow's characters, at most 32 long, as the run table stores them)."""
    if run_id is None or run_id == "":
        return None
    run_id = validation.validate_run_id(run_id)
    if len(run_id) > MAX_RUN_ID_LENGTH:
        raise InvalidParameterValue(
            f"Invalid run ID '{run_id[:40]}...': length {len(run_id)} exceeds the limit of {MAX_RUN_ID_LENGTH} "
            "characters"
        )
    return run_id
