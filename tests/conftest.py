"""Shared fixtures."""

from __future__ import annotations

import pytest

import runyard as mlflow
from runyard.fluent.experiments import reset_active_experiment
from runyard.fluent.runs import reset_state
from runyard.fluent.tracking_uri import forget_client
from runyard.stores import factory
from tests.s3_server import s3_bucket, s3_server  # noqa: F401 - fixtures for every test module

_ENV = ("TRACKING_URI", "REGISTRY_URI", "EXPERIMENT_NAME", "EXPERIMENT_ID", "RUN_ID", "ENABLE_ASYNC_LOGGING",
        "ASYNC_LOGGING_BUFFERING_SECONDS")


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
