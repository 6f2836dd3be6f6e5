"""Shared fixtures."""

from __future__ import annotations

import os

import pytest

import runyard as mlflow
from runyard.fluent.experiments import reset_active_experiment
from runyard.fluent.runs import reset_state
from runyard.fluent.tracking_uri import forget_client
from runyard.stores import factory
from tests.s3_server import s3_bucket, s3_server  # noqa: F401 - fixtures for every test module

_ENV = ("TRACKING_URI", "REGISTRY_URI", "EXPERIMENT_NAME", "EXPERIMENT_ID", "RUN_ID", "ENABLE_ASYNC_LOGGING",
        "ASYNC_LOGGING_BUFFERING_SECONDS")


@pytest.fixture(autouse=True)
def _restore_tracking_environment():
    """Undo what a test left in the tracking variables: set_experiment exports the experiment id (as
    MLflow's does) for child processes, which must not leak into later tests' subprocesses."""
    names = [prefix + name for name in _ENV for prefix in ("RUNYARD_", "MLFLOW_")]
    saved = {name: os.environ.get(name) for name in names}
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def tracking(tmp_path, monkeypatch):
    """A fresh embedded store in tmp_path as the tracking URI, with the fluent state reset after."""
    for name in _ENV:
        for prefix in ("RUNYARD_", "MLFLOW_"):
            monkeypatch.delenv(prefix + name, raising=False)
    monkeypatch.chdir(tmp_path)
    factory.clear_cache()
    uri = f"sqlite:///{tmp_path}/runyard.db"
    mlflow.set_tracking_uri(uri)
    yield uri
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.flush_async_logging()
    reset_state()
    reset_active_experiment()
    forget_client()
    mlflow.set_tracking_uri("")
    mlflow.set_registry_uri(None)
    factory.clear_cache()
