"""The tracking URI of the fluent API, and the one client the fluent functions share.

The default is the embedded store: ``runyard.db`` in the working directory, with artifacts in
``runyard-artifacts`` beside it. ``RUNYARD_TRACKING_URI`` / ``MLFLOW_TRACKING_URI`` override it.
"""

from __future__ import annotations

import os
import threading

from runyard.client import tracking_uri as _uri_state
from runyard.client.tracking_client import RunyardClient

_lock = threading.Lock()
_client: RunyardClient | None = None


def set_tracking_uri(uri: str | os.PathLike[str]) -> None:
    """Set the tracking URI (``sqlite:///path.db``, ``postgresql://...``, ``http://...``, or a path)."""
    _uri_state.set_tracking_uri(uri)


def get_tracking_uri() -> str:
    """The tracking URI in effect: set explicitly, else from the environment, else the embedded store."""
    return _uri_state.resolve_tracking_uri()


def is_tracking_uri_set() -> bool:
    """Whether a tracking URI was set with ``set_tracking_uri`` or through the environment."""
    return _uri_state.is_tracking_uri_set()


def set_registry_uri(uri: str | os.PathLike[str] | None) -> None:
    """Set the model registry URI (by default the registry lives with the tracking store)."""
    _uri_state.set_registry_uri(uri)


def get_registry_uri() -> str:
    """The model registry URI: set explicitly, else ``RUNYARD_REGISTRY_URI`` / ``MLFLOW_REGISTRY_URI``,
    else the tracking URI."""
    return _uri_state.resolve_registry_uri(None, get_tracking_uri())


def current_client() -> RunyardClient:
    """The client for the tracking URI in effect (one is kept and reused while the URI holds)."""
    global _client
    uri = _uri_state.resolve_tracking_uri()
    registry = _uri_state.resolve_registry_uri(None, uri)
    client = _client
    if client is not None and client.tracking_uri == uri and client.registry_uri == registry:
        return client
    with _lock:
        if _client is None or _client.tracking_uri != uri or _client.registry_uri != registry:
            _client = RunyardClient(uri, registry)
        return _client


def forget_client() -> None:
    """Drop the shared client (after ``runyard.stores.factory.clear_cache()``, for instance)."""
    global _client
    with _lock:
        _client = None
