"""Asynchronous logging: queued calls, merged batches, flushing and error reporting."""

from __future__ import annotations

import pytest

import runyard as mlflow
from runyard.client import RunOperations, RunyardClient
from runyard.client.async_queue import split_batch
from runyard.entities import Metric, Param, RunTag
from runyard.errors import RunyardException
from runyard.stores.tracking import TrackingStore

pytestmark = pytest.mark.usefixtures("tracking")


def test_ten_thousand_points_then_wait():
    client = RunyardClient()
    with mlflow.start_run() as run:
        ops = [mlflow.log_metric("loss", i / 10, step=i, synchronous=False) for i in range(10_000)]
        assert all(isinstance(op, RunOperations) for op in ops)
        RunOperations.combine(ops).wait()
        history = client.get_metric_history(run.info.run_id, "loss")
    assert sorted(m.step for m in history) == list(range(10_000))


def test_sync_and_async_return_values():
    with mlflow.start_run():
        assert mlflow.log_metric("a", 1.0) is None
        assert mlflow.log_param("p", 3) == 3
        assert mlflow.set_tag("t", "v") is None
        assert mlflow.log_metrics({"b": 1.0}) is None
        assert isinstance(mlflow.log_param("q", 1, synchronous=False), RunOperations)
        assert isinstance(mlflow.set_tags({"x": 1}, synchronous=False), RunOperations)
        assert isinstance(mlflow.log_params({"r": 2}, synchronous=False), RunOperations)
        assert isinstance(mlflow.log_metrics({"c": 2.0}, synchronous=False), RunOperations)


def test_end_run_flushes_mixed_calls():
    with mlflow.start_run() as run:
        for i in range(250):
            mlflow.log_param(f"p{i}", i, synchronous=False)
            mlflow.set_tag(f"t{i}", i, synchronous=False)
            mlflow.log_metric("m", float(i), step=i, synchronous=False)
        mlflow.set_tag("t0", "last", synchronous=False)
    data = mlflow.get_run(run.info.run_id).data
    assert len(data.params) == 250 and data.params["p249"] == "249"
    assert data.tags["t0"] == "last" and data.tags["t249"] == "249"
    assert len(RunyardClient().get_metric_history(run.info.run_id, "m")) == 250


def test_environment_switches_default_to_async(monkeypatch):
    monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_LOGGING", "true")
    with mlflow.start_run() as run:
        op = mlflow.log_metric("a", 1.0)
        assert isinstance(op, RunOperations)
        assert mlflow.log_metric("b", 2.0, synchronous=True) is None
        mlflow.flush_async_logging()
        assert mlflow.get_run(run.info.run_id).data.metrics == {"a": 1.0, "b": 2.0}


def test_failure_reaches_only_the_calls_that_caused_it():
    with mlflow.start_run() as run:
        mlflow.log_param("lr", 0.1)
        good_before = mlflow.log_metric("m", 1.0, step=0, synchronous=False)
        bad = mlflow.log_param("lr", 0.2, synchronous=False)
        good_after = mlflow.log_params({"other": 5}, synchronous=False)
        good_before.wait()
        good_after.wait()
        with pytest.raises(RunyardException, match="Changing param values is not allowed"):
            bad.wait()
    data = mlflow.get_run(run.info.run_id).data
    assert data.params == {"lr": "0.1", "other": "5"} and data.metrics == {"m": 1.0}


def test_client_log_batch_async():
    client = RunyardClient()
    run_id = client.create_run("0").info.run_id
    ops = client.log_batch(run_id, metrics=[Metric("m", float(i), i, i) for i in range(2500)],
                           params=[Param(f"p{i}", "v") for i in range(120)],
                           tags=[RunTag(f"t{i}", "v") for i in range(120)], synchronous=False)
    ops.wait()
    assert len(client.get_metric_history(run_id, "m")) == 2500
    assert len(client.get_run(run_id).data.params) == 120


def test_buffering_still_writes_everything(monkeypatch):
    monkeypatch.setenv("RUNYARD_ASYNC_LOGGING_BUFFERING_SECONDS", "0.05")
    with mlflow.start_run() as run:
        ops = [mlflow.log_metric("x", float(i), step=i, synchronous=False) for i in range(100)]
        RunOperations.combine(ops).wait()
    assert len(RunyardClient().get_metric_history(run.info.run_id, "x")) == 100


class _RecordingStore(TrackingStore):
    """Only log_batch is used by the queue; it records each call's sizes."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, int]] = []

    def log_batch(self, run_id, metrics=(), params=(), tags=()):
        self.calls.append((len(metrics), len(params), len(tags)))

    create_experiment = get_experiment = get_experiment_by_name = search_experiments = None  # type: ignore
    rename_experiment = delete_experiment = restore_experiment = set_experiment_tag = None  # type: ignore
    delete_experiment_tag = create_run = get_run = update_run_info = delete_run = None  # type: ignore
    restore_run = search_runs = delete_tag = log_inputs = get_metric_history = None  # type: ignore
    log_outputs = create_logged_model = get_logged_model = finalize_logged_model = None  # type: ignore
    delete_logged_model = set_logged_model_tags = delete_logged_model_tag = None  # type: ignore
    log_logged_model_params = search_logged_models = None  # type: ignore


def test_merged_batches_respect_limits():
    from runyard.client.async_queue import logging_queue

    store = _RecordingStore()
    queue = logging_queue()
    ops = [queue.enqueue(store, "r", metrics=[Metric("m", 1.0, i, i) for i in range(300)]) for _ in range(10)]
    ops.append(queue.enqueue(store, "r", params=[Param(f"p{i}", "v") for i in range(150)]))
    RunOperations.combine(ops).wait()
    assert sum(c[0] for c in store.calls) == 3000 and sum(c[1] for c in store.calls) == 150
    for metrics, params, tags in store.calls:
        assert metrics <= 1000 and params <= 100 and tags <= 100 and metrics + params + tags <= 1000
    assert len(store.calls) < 11  # consecutive calls for the run were merged


def test_split_batch_follows_limits():
    metrics = [Metric("m", 0.0, i, i) for i in range(1950)]
    params = [Param(f"p{i}", "v") for i in range(250)]
    tags = [RunTag(f"t{i}", "v") for i in range(30)]
    pieces = list(split_batch(metrics, params, tags))
    assert sum(len(m) for m, _, _ in pieces) == 1950
    assert sum(len(p) for _, p, _ in pieces) == 250 and sum(len(t) for _, _, t in pieces) == 30
    for m, p, t in pieces:
        assert len(m) <= 1000 and len(p) <= 100 and len(t) <= 100 and len(m) + len(p) + len(t) <= 1000
    assert list(split_batch([], [], [])) == []
