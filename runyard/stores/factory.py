"""Map a URI scheme to a store implementation, importing the implementation only when used."""

from __future__ import annotations

import importlib
import threading

from runyard import uris
from runyard.errors import InvalidParameterValue
from runyard.stores.artifact_store import ArtifactStore
from runyard.stores.promotion import load_promotion_policy
from runyard.stores.registry import PromotionPolicy, RegistryStore
from runyard.stores.tracking import TrackingStore

__all__ = ["artifact_store_for", "clear_cache", "load_promotion_policy", "preload_tracking_store",
           "registry_store_for", "tracking_store_for"]

_TRACKING_IMPLEMENTATIONS = {
    "sqlite": "runyard.stores.sql.tracking_store:SqlTrackingStore",
    "postgresql": "runyard.stores.sql.tracking_store:SqlTrackingStore",
    "postgres": "runyard.stores.sql.tracking_store:SqlTrackingStore",
    "mysql": "runyard.stores.sql.tracking_store:SqlTrackingStore",
    "mariadb": "runyard.stores.sql.tracking_store:SqlTrackingStore",
    "http": "runyard.stores.rest.tracking_store:RestTrackingStore",
    "https": "runyard.stores.rest.tracking_store:RestTrackingStore",
}

# The SQL registry lives in the tracking database; a tracking server serves the registry too.
_REGISTRY_IMPLEMENTATIONS = {
    **{scheme: "runyard.stores.sql.registry_store:SqlRegistryStore"
       for scheme in ("sqlite", "postgresql", "postgres", "mysql", "mariadb")},
    "http": "runyard.stores.rest.registry_store:RestRegistryStore",
    "https": "runyard.stores.rest.registry_store:RestRegistryStore",
}

_ARTIFACT_IMPLEMENTATIONS = {
    "": "runyard.stores.artifacts.local:LocalArtifactStore",
    "file": "runyard.stores.artifacts.local:LocalArtifactStore",
    "s3": "runyard.stores.artifacts.s3:S3ArtifactStore",
}
# Stores behind a tracking server's proxy need the tracking URI to resolve host-less URIs.
_PROXIED_ARTIFACT_IMPLEMENTATION = "runyard.stores.rest.artifact_store:HttpArtifactStore"
_PROXIED_SCHEMES = frozenset({"mlflow-artifacts", "http", "https"})

_cache: dict[tuple[str, str | None], TrackingStore] = {}
# Keyed by the policy's repr too: a policy holds dicts, so it is not hashable, and its repr is
# determined by its content.
_registry_cache: dict[tuple[str, str | None, str], RegistryStore] = {}
_lock = threading.Lock()


def _load(target: str) -> type:
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def preload_tracking_store(uri: str) -> None:
    """Import the store implementation for ``uri`` without opening it (before forking workers)."""
    target = _TRACKING_IMPLEMENTATIONS.get(uris.scheme_of(uri))
    if target is not None:
        _load(target)


def tracking_store_for(uri: str, default_artifact_root: str | None = None) -> TrackingStore:
    """The (cached, process-wide) tracking store for ``uri``."""
    key = (uri, default_artifact_root)
    store = _cache.get(key)
    if store is not None:
        return store
    with _lock:
        store = _cache.get(key)
        if store is None:
            scheme = uris.scheme_of(uri)
            target = _TRACKING_IMPLEMENTATIONS.get(scheme)
            if target is None:
                raise InvalidParameterValue(
                    f"Unsupported tracking URI {uri!r}: expected sqlite:///, postgresql://, "
                    "mysql:// or http(s):// (a tracking server)"
                )
            store = _load(target)(uri, default_artifact_root=default_artifact_root)
            _cache[key] = store
    return store


def registry_store_for(uri: str, default_artifact_root: str | None = None,
                       promotion_policy: PromotionPolicy | None = None) -> RegistryStore:
    """The (cached, process-wide) model registry store for ``uri``: the SQL registry in that
    database, or a tracking server's registry for http(s) URIs. ``default_artifact_root`` is where
    version sources may lie besides their run's and logged model's artifacts; ``promotion_policy``
    applies to stage transitions (SQL registries; a server enforces its own)."""
    key = (uri, default_artifact_root, repr(promotion_policy))
    store = _registry_cache.get(key)
    if store is not None:
        return store
    with _lock:
        store = _registry_cache.get(key)
        if store is None:
            target = _REGISTRY_IMPLEMENTATIONS.get(uris.scheme_of(uri))
            if target is None:
                raise InvalidParameterValue(
                    f"Unsupported registry URI {uri!r}: expected sqlite:///, postgresql://, "
                    "mysql:// or http(s):// (a tracking server)"
                )
            store = _load(target)(uri, default_artifact_root=default_artifact_root,
                                  promotion_policy=promotion_policy)
            _registry_cache[key] = store
    return store


def artifact_store_for(uri: str, tracking_uri: str | None = None) -> ArtifactStore:
    """An artifact store rooted at ``uri``; ``mlflow-artifacts:/`` URIs resolve against the
    tracking server at ``tracking_uri``."""
    scheme = uris.scheme_of(uri)
    if scheme in _PROXIED_SCHEMES:
        return _load(_PROXIED_ARTIFACT_IMPLEMENTATION)(uri, tracking_uri=tracking_uri)
    target = _ARTIFACT_IMPLEMENTATIONS.get(scheme)
    if target is None:
        raise InvalidParameterValue(
            f"Unsupported artifact URI {uri!r}: expected a local path, a file:// URI, s3:// or "
            "mlflow-artifacts:/ (a tracking server's proxy)"
        )
    return _load(target)(uri)


def clear_cache() -> None:
    """Forget cached stores (tests switch tracking URIs often)."""
    with _lock:
        for store in [*_cache.values(), *_registry_cache.values()]:
            close = getattr(store, "close", None)
            if close is not None:
                close()
        _cache.clear()
        _registry_cache.clear()
