"""Fixtures for the cross-system tests: the stock ``mlflow`` client (3.17.2, test-only) and a real
``mlflow server`` in a subprocess.

mlflow is imported lazily, inside a fixture, so that its telemetry is off from the moment it is
imported and so that collecting the rest of the suite does not pay for the import. Its global
state (tracking URI, active experiment, run stack, the environment variables it sets) is put back
after every test.
"""

from __future__ import annotations

import importlib
from typing import Iterator

import pytest

import runyard
from runyard.stores import factory
from tests.compat.mlflow_server import QUIET, MlflowServer
from tests.live_server import LiveServer, live_server

# Environment variables the stock client reads or sets; runyard reads the MLFLOW_* ones as a
# fallback, so none may outlive a test.
_MLFLOW_STATE_ENV = ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID",
                     "MLFLOW_REGISTRY_URI")
# Modules that use the MLflow server (started early when the session holds any of them).
_MLFLOW_SERVER_MODULES = frozenset({"test_runyard_client_on_mlflow.py", "test_wire_shapes.py", "test_registry_compat.py"})


# -- the stock mlflow client against a runyard server ---------------------------------------------
@pytest.fixture(scope="package")
def _mlflow_module():
    with pytest.MonkeyPatch.context() as mp:
        for name, value in QUIET.items():
            mp.setenv(name, value)
        yield importlib.import_module("mlflow")


@pytest.fixture(scope="module")
def runyard_server(tmp_path_factory) -> Iterator[LiveServer]:
    """A runyard tracking server (uvicorn in a thread) with a SQLite store and proxied artifacts."""
    root = tmp_path_factory.mktemp("runyard-server")
    with live_server(f"sqlite:///{root}/runyard.db", str(root / "artifacts")) as server:
        yield server


@pytest.fixture
def mlflow(_mlflow_module, runyard_server, monkeypatch):
    """The stock ``mlflow`` module, its tracking URI pointing at ``runyard_server``."""
    mlflow = _mlflow_module
    for name, value in QUIET.items():
        monkeypatch.setenv(name, value)
    for name in _MLFLOW_STATE_ENV:
        monkeypatch.delenv(name, raising=False)
    mlflow.set_tracking_uri(runyard_server.url)
    yield mlflow
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.tracking.fluent._active_experiment_id = None  # no public way to forget the experiment
    mlflow.set_tracking_uri(None)  # also unsets MLFLOW_TRACKING_URI; monkeypatch restores the rest


# -- runyard's client against a real MLflow server ------------------------------------------------
@pytest.fixture(scope="package")
def _mlflow_server_process(tmp_path_factory) -> Iterator[MlflowServer]:
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-server")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="package", autouse=True)
def _boot_mlflow_server_early(request) -> None:
    """Start the MLflow server (about 20 s to boot) at the first compat test when the session will
    need it, so that it boots while the other compat tests run."""
    if any(item.path.name in _MLFLOW_SERVER_MODULES for item in request.session.items):
        request.getfixturevalue("_mlflow_server_process")


@pytest.fixture(scope="package")
def mlflow_server(_mlflow_server_process) -> MlflowServer:
    """A ready ``mlflow server`` 3.17.2 on a loopback port."""
    return _mlflow_server_process.wait_ready()


@pytest.fixture
def runyard_on_mlflow(tracking, mlflow_server):
    """runyard's fluent API and clients pointed at ``mlflow_server``; ``tracking`` resets the state."""
    factory.clear_cache()
    runyard.set_tracking_uri(mlflow_server.url)
    yield runyard
