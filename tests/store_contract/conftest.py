"""The store contract: every test here runs against every backend, the REST store over a live
runyard server included."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from runyard.stores.rest.registry_store import RestRegistryStore
from runyard.stores.sql.registry_store import SqlRegistryStore
from runyard.stores.sql.tracking_store import SqlTrackingStore
from tests.store_contract.backends import BACKENDS, database_uri

# The backends the registry contract runs on. The `registry` fixture stands on the `store` fixture
# (same database), so registry test modules narrow `store`'s parameters with
# `pytestmark = registry_backends`; "rest" is a RestRegistryStore on the live server that `store` runs.
REGISTRY_BACKENDS = BACKENDS + ("rest",)
registry_backends = pytest.mark.parametrize("store", REGISTRY_BACKENDS, indirect=True)


@contextmanager
def _rest_store(tmp_path):
    from runyard.stores.rest.tracking_store import RestTrackingStore
    from tests.live_server import live_server

    # The artifact root is a file URI, as on the SQL backends, so that registry sources name it alike.
    with live_server(f"sqlite:///{tmp_path}/server.db", str(tmp_path / "artifacts"),
                     default_artifact_root=(tmp_path / "artifacts").as_uri()) as server:
        store = RestTrackingStore(server.url)
        store.artifact_root = server.settings.effective_artifact_root
        yield store


@pytest.fixture(params=BACKENDS + ("rest",))
def store(request, tmp_path):
    if request.param == "rest":
        with _rest_store(tmp_path) as store:
            yield store
        return
    with database_uri(request.param, tmp_path) as uri:
        store = SqlTrackingStore(uri, default_artifact_root=(tmp_path / "artifacts").as_uri())
        try:
            yield store
        finally:
            store.close()


@pytest.fixture
def registry(store):
    """The model registry on the same per-test database as the tracking ``store``."""
    if isinstance(store, SqlTrackingStore):
        registry = SqlRegistryStore(store.uri, default_artifact_root=store.artifact_root)
    else:
        registry = RestRegistryStore(store.uri)
        registry.artifact_root = store.artifact_root  # where the server accepts version sources
    try:
        yield registry
    finally:
        registry.close()


@pytest.fixture
def experiment_id(store):
    return store.create_experiment("contract")


@pytest.fixture
def run_id(store, experiment_id):
    return store.create_run(experiment_id, "alice", 1000, [], "run-a").info.run_id
