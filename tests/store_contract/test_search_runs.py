"""search_runs: the grammar pushed into SQL, ordering with NULLs last, paging, view types."""

from __future__ import annotations

import pytest

from runyard.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag, ViewType
from runyard.errors import InvalidParameterValue


@pytest.fixture
def runs(store, experiment_id):
    """Five runs: r0..r4, with metric acc = i/10 (r4 has none), param depth, a tag on even runs."""
    ids = []
    for i in range(5):
        run = store.create_run(experiment_id, f"user{i % 2}", 1000 + i, [], f"r{i}")
        metrics = [Metric("acc", i / 10, 1, 0)] if i < 4 else []
        tags = [RunTag("parity", "even")] if i % 2 == 0 else []
        store.log_batch(run.info.run_id, metrics=metrics + [Metric("loss", 1.0 - i / 10, 1, 0)],
                        params=[Param("depth", str(i)), Param("model", "RF" if i < 3 else "gbm")], tags=tags)
        ids.append(run.info.run_id)
    return ids


def names(result):
    return [r.info.run_name for r in result]


def test_default_order_is_newest_first(store, experiment_id, runs):
    assert names(store.search_runs([experiment_id])) == ["r4", "r3", "r2", "r1", "r0"]


def test_metric_and_param_filters(store, experiment_id, runs):
    assert names(store.search_runs([experiment_id], "metrics.acc > 0.15 and params.model = 'RF'")) == ["r2"]
    assert names(store.search_runs([experiment_id], "metrics.acc >= 0.2", order_by=["metrics.acc ASC"])) == ["r2", "r3"]
    assert names(store.search_runs([experiment_id], "metrics.acc != 0.1", order_by=["run_name"])) == ["r0", "r2", "r3"]
    with pytest.raises(InvalidParameterValue, match="IN"):
        store.search_runs([experiment_id], "params.depth IN ('1', '2')")


def test_like_ilike_and_null_filters(store, experiment_id, runs):
    assert names(store.search_runs([experiment_id], "params.model LIKE 'R%'", order_by=["run_name"])) == ["r0", "r1", "r2"]
    assert names(store.search_runs([experiment_id], "params.model LIKE 'r%'")) == []
    assert names(store.search_runs([experiment_id], "params.model ILIKE 'g%'", order_by=["run_name"])) == ["r3", "r4"]
    assert names(store.search_runs([experiment_id], "tags.parity IS NULL", order_by=["run_name"])) == ["r1", "r3"]
    assert names(store.search_runs([experiment_id], "tags.parity IS NOT NULL", order_by=["run_name"])) == ["r0", "r2", "r4"]


def test_attribute_filters(store, experiment_id, runs):
    assert names(store.search_runs([experiment_id], f"attributes.run_id IN ('{runs[1]}', '{runs[3]}')",
                                   order_by=["run_name"])) == ["r1", "r3"]
    assert names(store.search_runs([experiment_id], "attributes.run_name = 'r2'")) == ["r2"]
    assert names(store.search_runs([experiment_id], "attributes.user_id = 'user1'", order_by=["run_name"])) == ["r1", "r3"]
    assert names(store.search_runs([experiment_id], "attributes.start_time >= 1003", order_by=["run_name"])) == ["r3", "r4"]
    store.update_run_info(runs[0], "FINISHED", 2000, None)
    assert names(store.search_runs([experiment_id], "attributes.status = 'FINISHED'")) == ["r0"]
    assert names(store.search_runs([experiment_id], "tags.`mlflow.runName` = 'r3'")) == ["r3"]


def test_order_by_metric_puts_missing_last_both_ways(store, experiment_id, runs):
    assert names(store.search_runs([experiment_id], order_by=["metrics.acc DESC"])) == ["r3", "r2", "r1", "r0", "r4"]
    assert names(store.search_runs([experiment_id], order_by=["metrics.acc ASC"])) == ["r0", "r1", "r2", "r3", "r4"]
    assert names(store.search_runs([experiment_id], order_by=["params.depth DESC"])) == ["r4", "r3", "r2", "r1", "r0"]
    assert names(store.search_runs([experiment_id], order_by=["tags.parity ASC", "start_time ASC"])) == ["r0", "r2", "r4", "r1", "r3"]


def test_paging(store, experiment_id, runs):
    seen = []
    token = None
    while True:
        page = store.search_runs([experiment_id], max_results=2, order_by=["run_name"], page_token=token)
        seen += names(page)
        token = page.token
        if token is None:
            break
    assert seen == ["r0", "r1", "r2", "r3", "r4"]


def test_view_types(store, experiment_id, runs):
    store.delete_run(runs[0])
    assert "r0" not in names(store.search_runs([experiment_id]))
    assert names(store.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)) == ["r0"]
    assert len(store.search_runs([experiment_id], run_view_type=ViewType.ALL)) == 5


def test_several_experiments_and_data_loaded(store, experiment_id, runs):
    other = store.create_experiment("other")
    store.create_run(other, "u", 5000, [], "o1")
    result = store.search_runs([experiment_id, other], "params.depth = '2'")
    assert names(result) == ["r2"]
    run = result[0]
    assert run.data.params == {"depth": "2", "model": "RF"}
    assert run.data.metrics == {"acc": 0.2, "loss": 0.8}
    assert len(store.search_runs([experiment_id, other])) == 6


def test_dataset_filters(store, experiment_id, runs):
    item = DatasetInput(Dataset("housing", "d1", "code", "{}"), (InputTag("mlflow.data.context", "training"),))
    store.log_inputs(runs[2], [item])
    assert names(store.search_runs([experiment_id], "datasets.name = 'housing'")) == ["r2"]
    assert names(store.search_runs([experiment_id], "datasets.context = 'training'")) == ["r2"]
    assert names(store.search_runs([experiment_id], "datasets.digest IN ('d1', 'zz')")) == ["r2"]


@pytest.mark.parametrize("bad", ["metrics.acc > 'a'", "params.x = 1 OR params.y = 2", "foo.bar = 1", "metrics.acc IS NULL"])
def test_bad_filters(store, experiment_id, bad):
    with pytest.raises(InvalidParameterValue):
        store.search_runs([experiment_id], bad)


def test_bad_paging_arguments(store, experiment_id):
    with pytest.raises(InvalidParameterValue, match="50000"):
        store.search_runs([experiment_id], max_results=50001)
    with pytest.raises(InvalidParameterValue, match="max_results"):
        store.search_runs([experiment_id], max_results=0)
