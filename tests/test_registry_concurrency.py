"""The registry under concurrency, on SQLite, PostgreSQL and MariaDB: version numbers handed out
once each, one holder per alias, one version in Production after racing transitions with
archive_existing_versions, and an audit trail that tells the same story."""

from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from runyard.entities.registry import RegistryAction
from runyard.stores.sql.registry_store import SqlRegistryStore
from tests.store_contract.backends import BACKENDS, database_uri

VERSIONS = 50
PROCESSES = 5
TRANSITIONS = 20


@pytest.fixture(params=BACKENDS)
def uri(request, tmp_path):
    with database_uri(request.param, tmp_path) as uri:
        yield uri


@pytest.fixture
def registry(uri, tmp_path):
    store = SqlRegistryStore(uri, default_artifact_root=(tmp_path / "artifacts").as_uri())
    yield store
    store.close()


def in_parallel(count: int, work) -> list:
    """Run ``work(i)`` for i in range(count) on as many threads, released at once."""
    barrier = threading.Barrier(count)

    def run(index: int):
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def assert_numbered_once(registry: SqlRegistryStore, name: str, count: int) -> None:
    found = registry.search_model_versions(f"name = '{name}'", max_results=1000)
    assert sorted(int(v.version) for v in found) == list(range(1, count + 1))
    created = [e for e in registry.get_registry_history(name) if e.action == RegistryAction.CREATE_VERSION]
    assert sorted(int(e.version) for e in created) == list(range(1, count + 1))


def test_fifty_threads_create_versions_one_to_fifty(registry):
    registry.create_registered_model("M")
    source = f"{registry.artifact_root}/model"
    made = in_parallel(VERSIONS, lambda _: registry.create_model_version("M", source).version)
    assert sorted(map(int, made)) == list(range(1, VERSIONS + 1))
    assert_numbered_once(registry, "M", VERSIONS)


def _create_versions(uri: str, root: str, count: int, ready, start, results) -> None:
    store = SqlRegistryStore(uri, default_artifact_root=root)
    try:
        ready.put(None)
        start.wait(120)
        made = in_parallel(count, lambda _: store.create_model_version("M", f"{root}/model").version)
        results.put(made)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        results.put(repr(exc))
    finally:
        store.close()


def test_several_processes_create_versions_one_to_fifty(registry, uri):
    registry.create_registered_model("M")
    context = multiprocessing.get_context("spawn")
    ready, results, start = context.Queue(), context.Queue(), context.Event()
    processes = [context.Process(target=_create_versions, args=(uri, registry.artifact_root, VERSIONS // PROCESSES,
                                                                ready, start, results))
                 for _ in range(PROCESSES)]
    for process in processes:
        process.start()
    try:
        for _ in processes:
            ready.get(timeout=120)
        start.set()
        made = [results.get(timeout=300) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=60)
    assert all(isinstance(batch, list) for batch in made), made
    assert sorted(int(v) for batch in made for v in batch) == list(range(1, VERSIONS + 1))
    assert_numbered_once(registry, "M", VERSIONS)


def test_racing_alias_moves_leave_one_holder_and_a_consistent_trail(registry):
    registry.create_registered_model("M")
    for _ in range(5):
        registry.create_model_version("M", f"{registry.artifact_root}/model")
    in_parallel(40, lambda i: registry.set_registered_model_alias("M", "champion", str(i % 5 + 1)))
    model = registry.get_registered_model("M")
    holders = [v.version for v in registry.search_model_versions("name = 'M'") if "champion" in v.aliases]
    assert len(holders) == 1 and model.aliases == {"champion": holders[0]}
    moves = [e for e in registry.get_registry_history("M") if e.action == RegistryAction.SET_ALIAS]
    assert len(moves) == 40
    # Each move starts from where the previous one left the alias.
    assert [e.from_value for e in moves] == [None] + [e.to_value for e in moves[:-1]]
    assert moves[-1].to_value == holders[0]
    assert registry.get_version_at("M", int(time.time() * 1000) + 1, alias="champion") == holders[0]


def test_racing_transitions_with_archiving_leave_one_in_production(registry):
    registry.create_registered_model("M")
    for _ in range(TRANSITIONS):
        registry.create_model_version("M", f"{registry.artifact_root}/model")
    in_parallel(TRANSITIONS, lambda i: registry.transition_model_version_stage("M", str(i + 1), "Production", True))
    stages = {v.version: v.current_stage for v in registry.search_model_versions("name = 'M'", max_results=100)}
    production = [version for version, stage in stages.items() if stage == "Production"]
    assert len(production) == 1
    assert sorted(stage for stage in stages.values() if stage != "Production") == ["Archived"] * (TRANSITIONS - 1)
    assert [v.version for v in registry.get_latest_versions("M", ["Production"])] == production
    # The trail: every version's transitions chain (from = the previous to), and replaying it gives
    # the same single holder.
    transitions = [e for e in registry.get_registry_history("M") if e.action == RegistryAction.TRANSITION_STAGE]
    assert len([e for e in transitions if e.to_value == "Production"]) == TRANSITIONS
    last: dict[str, str] = {}
    for event in transitions:
        assert event.from_value == last.get(event.version, "None"), event
        last[event.version] = event.to_value
    assert last == stages
    assert registry.get_version_at("M", int(time.time() * 1000) + 1, stage="Production") == production[0]
