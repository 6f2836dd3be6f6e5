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


# -- S3-compatible artifact storage (AWS_* credentials and region are read by boto3 itself) ----
_AWS_CLIENT_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                   "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


def s3_endpoint_url() -> str | None:
    """``RUNYARD_S3_ENDPOINT_URL`` / ``MLFLOW_S3_ENDPOINT_URL``: a non-AWS S3 endpoint (MinIO, ...)."""
    return get_str("S3_ENDPOINT_URL") or None


def s3_ignore_tls() -> bool:
    """``RUNYARD_S3_IGNORE_TLS`` / ``MLFLOW_S3_IGNORE_TLS``: skip TLS certificate verification."""
    return get_bool("S3_IGNORE_TLS", False)


def s3_multipart_threshold_bytes() -> int:
    """Files (and streamed uploads) larger than this go up in parts of this size (min 5 MiB)."""
    value = get_int("S3_MULTIPART_THRESHOLD", 8 * 1024 * 1024)
    if value < 5 * 1024 * 1024:
        raise ValueError("RUNYARD_S3_MULTIPART_THRESHOLD must be at least 5 MiB (5242880), S3's minimum part size")
    return value


def aws_client_environment() -> tuple[str | None, ...]:
    """The AWS variables boto3 reads when building a client; a change means a new client is needed."""
    return tuple(os.environ.get(name) for name in _AWS_CLIENT_ENV)


SERVER_SETTINGS_VARIABLE = "RUNYARD_SERVER_SETTINGS"


def server_settings_json() -> str | None:
    """The settings `runyard server` hands to its worker processes (JSON)."""
    return os.environ.get(SERVER_SETTINGS_VARIABLE)


# -- HTTP client (REST store, artifact proxy) -----------------------------------------------------
def tracking_username() -> str | None:
    return get_str("TRACKING_USERNAME")


def tracking_password() -> str | None:
    return get_str("TRACKING_PASSWORD")


def tracking_token() -> str | None:
    return get_str("TRACKING_TOKEN")


def tracking_insecure_tls() -> bool:
    return get_bool("TRACKING_INSECURE_TLS", False)


def tracking_server_cert_path() -> str | None:
    return get_str("TRACKING_SERVER_CERT_PATH")


def tracking_client_cert_path() -> str | None:
    return get_str("TRACKING_CLIENT_CERT_PATH")


def http_request_max_retries() -> int:
    return get_int("HTTP_REQUEST_MAX_RETRIES", 7)


def http_request_backoff_factor() -> float:
    return get_float("HTTP_REQUEST_BACKOFF_FACTOR", 0.5) or 0.0


def http_request_backoff_jitter() -> float:
    return get_float("HTTP_REQUEST_BACKOFF_JITTER", 0.5) or 0.0


def http_request_timeout() -> float:
    return get_float("HTTP_REQUEST_TIMEOUT", 120.0) or 120.0


# -- Model scoring (`runyard models serve|predict|build-docker`) ---------------------------------
def scoring_request_timeout() -> float:
    """``RUNYARD_SCORING_SERVER_REQUEST_TIMEOUT`` / ``MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT``: seconds
    one scoring request may take (60 by default, as in MLflow)."""
    value = get_float("SCORING_SERVER_REQUEST_TIMEOUT", 60.0)
    if value is None or value <= 0:
        raise ValueError(f"RUNYARD_SCORING_SERVER_REQUEST_TIMEOUT / MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT "
                         f"must be a positive number, got {value!r}")
    return value


def env_root() -> str:
    """``RUNYARD_ENV_ROOT`` / ``MLFLOW_ENV_ROOT``: where model environments are built and cached
    (``~/.runyard/envs`` by default)."""
    return os.path.abspath(os.path.expanduser(get_str("ENV_ROOT") or os.path.join("~", ".runyard", "envs")))


def uv_executable() -> str | None:
    """``RUNYARD_UV``: the ``uv`` executable for ``--env-manager uv`` (default: found on PATH)."""
    return os.environ.get("RUNYARD_UV") or None
