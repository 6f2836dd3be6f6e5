"""Two ``runyard server`` processes on one PostgreSQL database (the scaled-out shape): concurrent
registry writes through both never hand out a version number twice, and concurrent promotions
with ``archive_existing_versions`` leave exactly one version in Production."""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import pytest

from runyard import MlflowClient
from runyard.stores import factory
from tests.server_process import ServerProcess
from tests.store_contract.backends import postgres_uri

WRITERS = 50
PROMOTIONS = 20


@pytest.fixture
def two_servers(tmp_path) -> Iterator[tuple[str, str]]:
    with postgres_uri() as uri:
        destination = str(tmp_path / "artifacts")
        first = ServerProcess(uri, destination, workers=2).start()  # creates the schema
        try:
            second = ServerProcess(uri, destination, workers=2).start()
            try:
                yield first.url, second.url
            finally:
                second.stop()
        finally:
            first.stop()
            factory.clear_cache()


def test_concurrent_versions_through_two_servers_are_numbered_once(two_servers):
    urls = two_servers
    setup = MlflowClient(urls[0])
    experiment_id = setup.create_experiment("concurrency")
    model_id = setup.create_logged_model(experiment_id, "model").model_id
    setup.create_registered_model("contended")

    def create(index: int) -> str:
        client = MlflowClient(urls[index % 2])
        return client.create_model_version("contended", f"models:/{model_id}", model_id=model_id).version

    with ThreadPoolExecutor(WRITERS) as pool:
        versions = list(pool.map(create, range(WRITERS)))
    assert sorted(int(v) for v in versions) == list(range(1, WRITERS + 1))
    stored = MlflowClient(urls[1]).search_model_versions("name = 'contended'", max_results=1000)
    assert sorted(int(v.version) for v in stored) == list(range(1, WRITERS + 1))
    created = [e for e in MlflowClient(urls[0]).get_registry_history("contended") if e.action == "CREATE_VERSION"]
    assert sorted(int(e.version) for e in created) == list(range(1, WRITERS + 1))

    def promote(version: int) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            MlflowClient(urls[version % 2]).transition_model_version_stage(
                "contended", str(version), "Production", archive_existing_versions=True)

    with ThreadPoolExecutor(PROMOTIONS) as pool:
        list(pool.map(promote, range(1, PROMOTIONS + 1)))
    in_production = MlflowClient(urls[0]).search_model_versions("name = 'contended'", max_results=1000)
    assert len([v for v in in_production if v.current_stage == "Production"]) == 1

    def move_alias(version: int) -> None:
        MlflowClient(urls[version % 2]).set_registered_model_alias("contended", "champion", str(version))

    with ThreadPoolExecutor(PROMOTIONS) as pool:
        list(pool.map(move_alias, range(1, PROMOTIONS + 1)))
    holders = [v.version for v in MlflowClient(urls[1]).search_model_versions("name = 'contended'", max_results=1000)
               if "champion" in v.aliases]
    assert len(holders) == 1
    assert MlflowClient(urls[0]).get_registered_model("contended").aliases == {"champion": holders[0]}
