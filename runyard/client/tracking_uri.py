"""Which tracking store a client talks to when it is not told.

The state lives in the client layer (not the fluent one) because ``RunyardClient()`` with no
argument must follow ``runyard.set_tracking_uri``, and the client may not import the fluent API.
"""

from __future__ import annotations

import os
import threading

from runyard import config, uris

_lock = threading.Lock()
_tracking_uri: str | None = None
_registry_uri: str | None = None
_default: tuple[str, str] = ("", "")  # (working directory, its embedded-store URI)


def _store_uri(uri: str | os.PathLike[str]) -> str | None:
    # A plain directory or file path is taken as the location of an embedded SQLite store.
    text = os.fspath(uri) if uri is not None else ""
    if text and uris.is_local_uri(text):
        path = uris.local_path_of(text)
        text = "sqlite:///" + path if path.endswith(".db") else uris.default_tracking_uri(path)
    return text or None


def set_tracking_uri(uri: str | os.PathLike[str]) -> None:
    """Use ``uri`` for clients created without one from now on.

    A plain directory or file path is taken as the location of an embedded SQLite store.
    """
    global _tracking_uri
    text = _store_uri(uri)
    with _lock:
        _tracking_uri = text


def set_registry_uri(uri: str | os.PathLike[str] | None) -> None:
    """Use ``uri`` as the model registry of clients created without one ('' or None: follow the
    tracking URI again)."""
    global _registry_uri
    text = _store_uri(uri) if uri is not None else None
    with _lock:
        _registry_uri = text


def resolve_registry_uri(uri: str | None, tracking_uri: str) -> str:
    """``uri`` if given, else the one set, else ``RUNYARD_REGISTRY_URI`` / ``MLFLOW_REGISTRY_URI``,
    else the tracking URI."""
    return (_store_uri(uri) if uri else None) or _registry_uri or config.registry_uri() or tracking_uri


def is_tracking_uri_set() -> bool:
    """Whether a tracking URI was set explicitly or through the environment."""
    return _tracking_uri is not None or bool(config.tracking_uri())


def resolve_tracking_uri(uri: str | None = None) -> str:
    """``uri`` if given, else the one set, else the environment's, else the embedded store."""
    if uri:
        return uri
    if _tracking_uri is not None:
        return _tracking_uri
    from_env = config.tracking_uri()
    if from_env:
        return from_env
    global _default
    cwd = config.working_directory()
    if _default[0] != cwd:
        _default = (cwd, uris.default_tracking_uri(cwd))
    return _default[1]

