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
_default: tuple[str, str] = ("", "")  # (working directory, its embedded-store URI)


def set_tracking_uri(uri: str | os.PathLike[str]) -> None:
    """Use ``uri`` for clients created without one from now on.

    A plain directory or file path is taken as the location of an embedded SQLite store.
    """
    global _tracking_uri
    text = os.fspath(uri)
    if text and uris.is_local_uri(text):
        path = uris.local_path_of(text)
        text = "sqlite:///" + path if path.endswith(".db") else uris.default_tracking_uri(path)
    with _lock:
        _tracking_uri = text or None


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

