"""The only module that reads the environment.

Each setting is looked up as ``RUNYARD_<NAME>`` first and ``MLFLOW_<NAME>`` second, so MLflow
deployments keep working while runyard-specific names win when both are set.
"""

from __future__ import annotations

import functools
import os

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def get_str(name: str, default: str | None = None) -> str | None:
    """Value of ``RUNYARD_<name>`` or else ``MLFLOW_<name>``, or ``default`` when neither is set."""
    for prefix in ("RUNYARD_", "MLFLOW_"):
        value = os.environ.get(prefix + name)
        if value is not None:
            return value
    return default


def get_bool(name: str, default: bool) -> bool:
    raw = get_str(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"RUNYARD_{name} / MLFLOW_{name} must be true or false, got {raw!r}")


def get_int(name: str, default: int) -> int:
    raw = get_str(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"RUNYARD_{name} / MLFLOW_{name} must be an integer, got {raw!r}") from None


def get_float(name: str, default: float | None) -> float | None:
    raw = get_str(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"RUNYARD_{name} / MLFLOW_{name} must be a number, got {raw!r}") from None


def set_env(name: str, value: str) -> None:
    """Set ``RUNYARD_<name>`` (used to hand settings to child processes)."""
    os.environ["RUNYARD_" + name] = value


def tracking_uri() -> str | None:
    return get_str("TRACKING_URI")


def registry_uri() -> str | None:
    return get_str("REGISTRY_URI")


def experiment_name() -> str | None:
    return get_str("EXPERIMENT_NAME")


def experiment_id() -> str | None:
    return get_str("EXPERIMENT_ID")


def run_id() -> str | None:
    return get_str("RUN_ID")


def truncate_long_values() -> bool:
    return get_bool("TRUNCATE_LONG_VALUES", True)


def async_logging_enabled() -> bool:
    return get_bool("ENABLE_ASYNC_LOGGING", False)


def async_logging_buffer_seconds() -> float | None:
    return get_float("ASYNC_LOGGING_BUFFERING_SECONDS", None)


def sqlite_busy_timeout_seconds() -> float:
    return get_float("SQLITE_BUSY_TIMEOUT", 120.0) or 120.0


def current_user() -> str:
    """The user recorded on new runs: ``RUNYARD_USER``/``MLFLOW_USER`` or the login name."""
    explicit = get_str("USER")
    if explicit:
        return explicit
    for var in ("USER", "LOGNAME", "USERNAME"):
        value = os.environ.get(var)
        if value:
            return value
    return _login_name()


@functools.lru_cache(maxsize=1)
def _login_name() -> str:
    # The passwd lookup costs more than the rest of start_run; it cannot change in a process.
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return "unknown"


def working_directory() -> str:
    return os.getcwd()
