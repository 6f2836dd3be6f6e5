"""The store contract: every test here runs against every backend."""

from __future__ import annotations

import pytest

from runyard.stores.sql.tracking_store import SqlTrackingStore
from tests.store_contract.backends import BACKENDS, database_uri


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    with database_uri(request.param, tmp_path) as uri:
        store = SqlTrackingStore(uri, default_artifact_root=(tmp_path / "artifacts").as_uri())
        try:
            yield store
        finally:
            store.close()


@pytest.fixture
def experiment_id(store):
    return store.create_experiment("contract")


@pytest.fixture
def run_id(store, experiment_id):
    return store.create_run(experiment_id, "alice", 1000, [], "run-a").info.run_id
