"""Metrics (histories and latest values), params, tags, batches, dataset inputs, bad input."""

from __future__ import annotations

import math

import pytest

from runyard.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist


def test_metric_history_and_latest(store, run_id):
    for step in range(10):
        store.log_metric(run_id, Metric("loss", 1 / (step + 1), 1000 + step, step))
    history = store.get_metric_history(run_id, "loss")
    assert [m.step for m in history] == list(range(10))
    assert history[3] == Metric("loss", 0.25, 1003, 3)
    assert store.get_run(run_id).data.metrics == {"loss": 0.1}


def test_latest_is_max_by_step_then_timestamp_then_value(store, run_id):
    store.log_batch(run_id, metrics=[Metric("m", 5.0, 10, 3), Metric("m", 1.0, 99, 2), Metric("m", 7.0, 10, 3)])
    store.log_metric(run_id, Metric("m", 0.5, 5, 1))
    assert store.get_run(run_id).data.metrics["m"] == 7.0
    store.log_metric(run_id, Metric("m", -1.0, 11, 3))
    assert store.get_run(run_id).data.metrics["m"] == -1.0


def test_special_values(store, run_id):
    big = 2**63 - 1
    store.log_batch(run_id, metrics=[
        Metric("nan", math.nan, 1, 0), Metric("inf", math.inf, 1, 0), Metric("ninf", -math.inf, 1, 0),
        Metric("big", 1e300, 1, big), Metric("neg", -2.5, 1, -big - 1), Metric("int", 3, 1, 0),
    ])
    metrics = store.get_run(run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert metrics["inf"] == math.inf and metrics["ninf"] == -math.inf
    assert metrics["big"] == 1e300 and metrics["int"] == 3.0
    assert store.get_metric_history(run_id, "big")[0].step == big
    assert store.get_metric_history(run_id, "neg")[0].step == -big - 1
    assert math.isnan(store.get_metric_history(run_id, "nan")[0].value)


def test_identical_points_are_stored_once(store, run_id):
    store.log_metric(run_id, Metric("d", 1.0, 5, 0))
    store.log_metric(run_id, Metric("d", 1.0, 5, 0))
    store.log_metric(run_id, Metric("d", 2.0, 5, 0))
    assert sorted(m.value for m in store.get_metric_history(run_id, "d")) == [1.0, 2.0]


def test_metric_history_paging(store, run_id):
    store.log_batch(run_id, metrics=[Metric("p", float(i), i, i) for i in range(25)])
    page = store.get_metric_history(run_id, "p", max_results=10)
    assert [m.step for m in page] == list(range(10)) and page.token
    rest = store.get_metric_history(run_id, "p", max_results=100, page_token=page.token)
    assert [m.step for m in rest] == list(range(10, 25)) and rest.token is None
    assert store.get_metric_history(run_id, "absent") == []
    with pytest.raises(ResourceDoesNotExist):
        store.get_metric_history("a" * 32, "p")


def test_params_are_immutable(store, run_id):
    store.log_param(run_id, Param("lr", "0.1"))
    store.log_param(run_id, Param("lr", "0.1"))
    with pytest.raises(InvalidParameterValue, match="Changing param values is not allowed"):
        store.log_param(run_id, Param("lr", "0.2"))
    with pytest.raises(InvalidParameterValue, match="Changing param values"):
        store.log_batch(run_id, metrics=[Metric("x", 1.0, 1, 0)], params=[Param("lr", "0.3")])
    run = store.get_run(run_id)
    assert run.data.params == {"lr": "0.1"}
    assert "x" not in run.data.metrics  # the failed batch left nothing behind


def test_duplicate_params_in_one_batch(store, run_id):
    store.log_batch(run_id, params=[Param("a", "1"), Param("a", "1")])
    with pytest.raises(InvalidParameterValue, match="Duplicate parameter keys"):
        store.log_batch(run_id, params=[Param("b", "1"), Param("b", "2")])
    assert store.get_run(run_id).data.params == {"a": "1"}


def test_long_values_are_truncated(store, run_id):
    store.log_batch(run_id, params=[Param("p", "x" * 7000)], tags=[RunTag("t", "y" * 9000)])
    data = store.get_run(run_id).data
    assert data.params["p"] == "x" * 6000
    assert data.tags["t"] == "y" * 8000


def test_long_values_rejected_when_truncation_is_off(store, run_id, monkeypatch):
    monkeypatch.setenv("RUNYARD_TRUNCATE_LONG_VALUES", "false")
    with pytest.raises(InvalidParameterValue, match="6000"):
        store.log_param(run_id, Param("p", "x" * 6001))


def test_tags_overwrite_and_delete(store, run_id):
    store.set_tag(run_id, RunTag("team", "a"))
    store.log_batch(run_id, tags=[RunTag("team", "b"), RunTag("purpose", "baseline")])
    assert store.get_run(run_id).data.tags["team"] == "b"
    store.delete_tag(run_id, "team")
    assert "team" not in store.get_run(run_id).data.tags
    with pytest.raises(ResourceDoesNotExist):
        store.delete_tag(run_id, "team")


def test_runname_tag_renames_run(store, run_id):
    store.set_tag(run_id, RunTag("mlflow.runName", "renamed"))
    assert store.get_run(run_id).info.run_name == "renamed"


@pytest.mark.parametrize("key", ["a" * 251, "../up", "a/../../b", "/abs", "a//b", "./a", ".", "bad\x00", "q?", ""])
def test_bad_keys_rejected_and_nothing_stored(store, run_id, key):
    store.log_metric(run_id, Metric("kept", 1.0, 1, 0))
    for call in (
        lambda: store.log_metric(run_id, Metric(key, 1.0, 1, 0)),
        lambda: store.log_param(run_id, Param(key, "v")),
        lambda: store.set_tag(run_id, RunTag(key, "v")),
        lambda: store.log_batch(run_id, metrics=[Metric("ok", 1.0, 1, 0), Metric(key, 1.0, 1, 0)]),
    ):
        with pytest.raises(InvalidParameterValue) as info:
            call()
        assert "name" in str(info.value) or "key" in str(info.value)
    data = store.get_run(run_id).data
    assert data.metrics == {"kept": 1.0} and data.params == {}


def test_key_limit_named_in_message(store, run_id):
    with pytest.raises(InvalidParameterValue, match="250"):
        store.log_metric(run_id, Metric("k" * 251, 1.0, 1, 0))


@pytest.mark.parametrize("value", ["1.0", None, True, [1]])
def test_non_numeric_metric_values(store, run_id, value):
    with pytest.raises(InvalidParameterValue, match="metric 'm'"):
        store.log_metric(run_id, Metric("m", value, 1, 0))


@pytest.mark.parametrize("step,timestamp", [(2**63, 1), (-(2**63) - 1, 1), (1.5, 1), (0, -1), (0, "now")])
def test_step_and_timestamp_limits(store, run_id, step, timestamp):
    with pytest.raises(InvalidParameterValue, match="step|timestamp"):
        store.log_metric(run_id, Metric("m", 1.0, timestamp, step))


def test_batch_limits(store, run_id):
    with pytest.raises(InvalidParameterValue, match="at most 1000 metrics"):
        store.log_batch(run_id, metrics=[Metric("m", 1.0, 1, i) for i in range(1001)])
    with pytest.raises(InvalidParameterValue, match="at most 100 params"):
        store.log_batch(run_id, params=[Param(f"p{i}", "v") for i in range(101)])
    with pytest.raises(InvalidParameterValue, match="at most 100 tags"):
        store.log_batch(run_id, tags=[RunTag(f"t{i}", "v") for i in range(101)])
    with pytest.raises(InvalidParameterValue, match="1000"):
        store.log_batch(run_id, metrics=[Metric("m", 1.0, 1, i) for i in range(950)],
                        params=[Param(f"p{i}", "v") for i in range(60)])
    store.log_batch(run_id, metrics=[Metric("m", 1.0, 1, i) for i in range(1000)])
    assert len(store.get_metric_history(run_id, "m")) == 1000


def test_logging_to_missing_or_deleted_run(store, run_id):
    with pytest.raises(ResourceDoesNotExist):
        store.log_metric("b" * 32, Metric("m", 1.0, 1, 0))
    store.delete_run(run_id)
    with pytest.raises(InvalidParameterValue, match="active"):
        store.log_batch(run_id, params=[Param("p", "1")])


def test_logging_to_finished_run_is_allowed(store, run_id):
    store.update_run_info(run_id, "FINISHED", 10, None)
    store.log_metric(run_id, Metric("late", 1.0, 1, 0))
    assert store.get_run(run_id).data.metrics["late"] == 1.0


def test_dataset_inputs(store, run_id):
    dataset = Dataset("housing", "abc123", "code", '{"tags": {}}', '{"mlflow_colspec": []}', '{"num_rows": 2}')
    item = DatasetInput(dataset, (InputTag("mlflow.data.context", "training"),))
    store.log_inputs(run_id, [item])
    store.log_inputs(run_id, [item])  # the same input again is not duplicated
    inputs = store.get_run(run_id).inputs.dataset_inputs
    assert len(inputs) == 1
    assert inputs[0].dataset == dataset
    assert inputs[0].tags == (InputTag("mlflow.data.context", "training"),)
    with pytest.raises(InvalidParameterValue, match="dataset digest"):
        store.log_inputs(run_id, [DatasetInput(Dataset("d", "x" * 37, "code", "{}"))])


def test_metric_values_round_trip_exactly(store, run_id):
    values = [0.2896253777644655, 1 / 3, 2.220446049250313e-16, 1.7976931348623155e308, -123456789.12345679, 5e-324]
    store.log_batch(run_id, metrics=[Metric(f"v{i}", v, 1, 0) for i, v in enumerate(values)])
    run = store.get_run(run_id)
    assert [run.data.metrics[f"v{i}"] for i in range(len(values))] == values
    found = store.search_runs([run.info.experiment_id])[0]
    assert [found.data.metrics[f"v{i}"] for i in range(len(values))] == values
    assert [store.get_metric_history(run_id, f"v{i}")[0].value for i in range(len(values))] == values


def test_history_is_ordered_by_step_then_timestamp(store, run_id):
    points = [Metric("o", 1.0, 30, 2), Metric("o", 2.0, 10, 2), Metric("other", 9.0, 1, 2), Metric("o", 3.0, 20, 2),
              Metric("o", 4.0, 99, 1), Metric("o", 5.0, 5, 3)]
    store.log_batch(run_id, metrics=points)
    history = store.get_metric_history(run_id, "o")
    assert [(m.step, m.timestamp) for m in history] == [(1, 99), (2, 10), (2, 20), (2, 30), (3, 5)]
