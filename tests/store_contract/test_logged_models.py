"""MLflow 3 logged models: create, get, finalize, delete, tags, params, search, run links, metrics."""

from __future__ import annotations

import math
import re

import pytest

from runyard.entities import (
    LoggedModelInput,
    LoggedModelOutput,
    LoggedModelParameter,
    LoggedModelStatus,
    LoggedModelTag,
    Metric,
    ModelInput,
    ModelOutput,
)
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist

MISSING = "m-" + "0" * 32


def names(models) -> list[str]:
    return [m.name for m in models]


def test_create_and_get(store, experiment_id, run_id):
    model = store.create_logged_model(
        experiment_id, name="model", source_run_id=run_id, tags=[LoggedModelTag("t", "1")],
        params=[LoggedModelParameter("alpha", "0.5")], model_type="agent",
    )
    assert re.fullmatch(r"m-[0-9a-f]{32}", model.model_id)
    assert model.model_uri == f"models:/{model.model_id}"
    assert model.status == LoggedModelStatus.PENDING == "PENDING"
    assert model.experiment_id == experiment_id and model.source_run_id == run_id
    location = store.get_experiment(experiment_id).artifact_location
    assert model.artifact_location == f"{location}/models/{model.model_id}/artifacts"
    assert model.creation_timestamp == model.last_updated_timestamp > 0
    assert store.get_logged_model(model.model_id) == model
    assert model.tags == {"t": "1"} and model.params == {"alpha": "0.5"} and model.metrics == ()


def test_create_generates_a_name_and_checks_input(store, experiment_id):
    model = store.create_logged_model(experiment_id)
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d+", model.name)
    assert model.model_type is None and model.source_run_id is None and model.status_message is None
    for bad in ("", "a/b", "a.b", "a:b", "50%"):
        with pytest.raises(InvalidParameterValue, match="model name"):
            store.create_logged_model(experiment_id, name=bad)
    with pytest.raises(ResourceDoesNotExist, match="Run with id=0+ not found"):
        store.create_logged_model(experiment_id, source_run_id="0" * 32)
    with pytest.raises(ResourceDoesNotExist, match="No Experiment with id=98765"):
        store.create_logged_model("98765")
    with pytest.raises(InvalidParameterValue, match="logged model tag key"):
        store.create_logged_model(experiment_id, tags=[LoggedModelTag("../x", "v")])


def test_create_needs_an_active_experiment(store, experiment_id):
    store.delete_experiment(experiment_id)
    with pytest.raises(InvalidParameterValue, match="active"):
        store.create_logged_model(experiment_id, name="m")


def test_finalize(store, experiment_id):
    model = store.create_logged_model(experiment_id, name="m")
    ready = store.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    assert ready.status == "READY" and ready.last_updated_timestamp >= model.last_updated_timestamp
    assert store.get_logged_model(model.model_id).status == "READY"
    assert store.finalize_logged_model(model.model_id, "LOGGED_MODEL_UPLOAD_FAILED").status == "UPLOAD_FAILED"
    assert store.finalize_logged_model(model.model_id, 2).status == "READY"
    for bad in ("DONE", 7, None):
        with pytest.raises(InvalidParameterValue, match="'status'"):
            store.finalize_logged_model(model.model_id, bad)
    with pytest.raises(ResourceDoesNotExist, match=f"Logged model with ID '{MISSING}' not found"):
        store.finalize_logged_model(MISSING, "READY")


def test_status_wire_names():
    assert LoggedModelStatus.to_wire("READY") == "LOGGED_MODEL_READY"
    assert LoggedModelStatus.to_wire(LoggedModelStatus.UNSPECIFIED) == "LOGGED_MODEL_STATUS_UNSPECIFIED"
    assert [LoggedModelStatus.from_wire(n) for n in range(4)] == ["UNSPECIFIED", "PENDING", "READY", "UPLOAD_FAILED"]
    assert LoggedModelStatus.from_wire("LOGGED_MODEL_PENDING") == "PENDING"
    assert LoggedModelStatus.to_number("UPLOAD_FAILED") == 3
    with pytest.raises(InvalidParameterValue, match="'status'"):
        LoggedModelStatus.from_wire(True)


def test_missing_ids(store, experiment_id):
    message = f"Logged model with ID '{MISSING}' not found"
    for call in (
        lambda: store.get_logged_model(MISSING),
        lambda: store.delete_logged_model(MISSING),
        lambda: store.set_logged_model_tags(MISSING, [LoggedModelTag("k", "v")]),
        lambda: store.delete_logged_model_tag(MISSING, "k"),
        lambda: store.log_logged_model_params(MISSING, [LoggedModelParameter("k", "v")]),
    ):
        with pytest.raises(ResourceDoesNotExist, match=message):
            call()
    with pytest.raises(InvalidParameterValue, match="model_id"):
        store.get_logged_model("")


def test_delete_is_soft(store, experiment_id):
    model = store.create_logged_model(experiment_id, name="gone")
    store.delete_logged_model(model.model_id)
    with pytest.raises(ResourceDoesNotExist):
        store.get_logged_model(model.model_id)
    assert store.get_logged_model(model.model_id, allow_deleted=True).name == "gone"
    assert store.search_logged_models([experiment_id]) == []


def test_tags(store, experiment_id):
    model = store.create_logged_model(experiment_id, name="m", tags=[LoggedModelTag("a", "1")])
    store.set_logged_model_tags(model.model_id, [LoggedModelTag("a", "2"), LoggedModelTag("b", "x" * 100000)])
    assert store.get_logged_model(model.model_id).tags == {"a": "2", "b": "x" * 100000}
    store.delete_logged_model_tag(model.model_id, "a")
    assert set(store.get_logged_model(model.model_id).tags) == {"b"}
    with pytest.raises(ResourceDoesNotExist, match="No tag with key 'a'"):
        store.delete_logged_model_tag(model.model_id, "a")
    with pytest.raises(InvalidParameterValue, match="100000"):
        store.set_logged_model_tags(model.model_id, [LoggedModelTag("c", "x" * 100001)])


def test_params(store, experiment_id):
    model = store.create_logged_model(experiment_id, name="m", params=[LoggedModelParameter("a", "1")])
    store.log_logged_model_params(model.model_id, [LoggedModelParameter("a", "1"), LoggedModelParameter("b", "2")])
    assert store.get_logged_model(model.model_id).params == {"a": "1", "b": "2"}
    with pytest.raises(InvalidParameterValue, match="Changing param values is not allowed"):
        store.log_logged_model_params(model.model_id, [LoggedModelParameter("a", "changed")])
    assert store.get_logged_model(model.model_id).params["a"] == "1"


def test_run_outputs_and_model_inputs(store, experiment_id, run_id):
    assert LoggedModelOutput is ModelOutput and LoggedModelInput is ModelInput
    first = store.create_logged_model(experiment_id, name="first", source_run_id=run_id)
    second = store.create_logged_model(experiment_id, name="second")
    store.log_outputs(run_id, [LoggedModelOutput(first.model_id, 0)])
    store.log_outputs(run_id, [LoggedModelOutput(first.model_id, 0), LoggedModelOutput(second.model_id, 5)])
    run = store.get_run(run_id)
    assert run.outputs.model_outputs == (ModelOutput(first.model_id, 0), ModelOutput(second.model_id, 5))
    assert run.inputs.model_inputs == ()
    store.log_inputs(run_id, models=[LoggedModelInput(second.model_id), first.model_id])
    assert {m.model_id for m in store.get_run(run_id).inputs.model_inputs} == {first.model_id, second.model_id}
    assert store.search_runs([experiment_id])[0].outputs == run.outputs
    with pytest.raises(ResourceDoesNotExist, match=MISSING):
        store.log_outputs(run_id, [LoggedModelOutput(MISSING, 0)])
    with pytest.raises(ResourceDoesNotExist, match=MISSING):
        store.log_inputs(run_id, models=[MISSING])
    with pytest.raises(ResourceDoesNotExist, match="Run with id=0+ not found"):
        store.log_outputs("0" * 32, [LoggedModelOutput(first.model_id, 0)])
    with pytest.raises(InvalidParameterValue, match=r"models\[0\].step"):
        store.log_outputs(run_id, [LoggedModelOutput(first.model_id, "x")])  # type: ignore[arg-type]


def test_model_metrics(store, experiment_id, run_id):
    model = store.create_logged_model(experiment_id, name="m", source_run_id=run_id)
    store.log_batch(run_id, metrics=[
        Metric("acc", 0.5, 100, 0, model_id=model.model_id),
        Metric("acc", 0.7, 200, 1, model_id=model.model_id, dataset_name="val", dataset_digest="abc"),
        Metric("nan", math.nan, 100, 0, model_id=model.model_id),
        Metric("plain", 1.0, 100, 0),
    ])
    store.log_metric(run_id, Metric("acc", 0.5, 100, 0, model_id=model.model_id))  # same point: kept once
    metrics = store.get_logged_model(model.model_id).metrics
    assert [(m.key, m.value, m.step, m.dataset_name) for m in metrics if m.key == "acc"] == [
        ("acc", 0.5, 0, None), ("acc", 0.7, 1, "val")]
    assert all(m.model_id == model.model_id and m.run_id == run_id for m in metrics)
    assert math.isnan(next(m.value for m in metrics if m.key == "nan"))
    assert metrics[1].dataset_digest == "abc"
    # The run keeps the points too.
    assert store.get_run(run_id).data.metrics["acc"] == 0.7
    assert len(store.get_metric_history(run_id, "acc")) == 2
    with pytest.raises(InvalidParameterValue, match="model_id"):
        store.log_metric(run_id, Metric("acc", 1.0, 1, 0, model_id="m-" + "x" * 40))


@pytest.fixture
def models(store, experiment_id, run_id):
    """Three models: a (READY, lr 0.1, latest acc 0.9), b (PENDING, lr 0.2, latest acc 0.5 on val),
    c (READY, from the run, no metrics)."""
    made = {}
    for name, lr in (("a", "0.1"), ("b", "0.2"), ("c", "0.3")):
        made[name] = store.create_logged_model(
            experiment_id, name=name, source_run_id=run_id if name == "c" else None,
            tags=[LoggedModelTag("team", "x" if name != "b" else "y")],
            params=[LoggedModelParameter("lr", lr)], model_type="clf" if name == "a" else None,
        )
    store.finalize_logged_model(made["a"].model_id, "READY")
    store.finalize_logged_model(made["c"].model_id, "LOGGED_MODEL_READY")
    a, b = made["a"].model_id, made["b"].model_id
    store.log_batch(run_id, metrics=[
        Metric("acc", 0.2, 100, 0, model_id=a), Metric("acc", 0.9, 200, 1, model_id=a),
        Metric("acc", 0.95, 150, 0, model_id=b, dataset_name="train"),
        Metric("acc", 0.5, 300, 0, model_id=b, dataset_name="val", dataset_digest="d1"),
    ])
    return made


def search(store, experiment_id, filter_string=None, **kwargs) -> list[str]:
    return names(store.search_logged_models([experiment_id], filter_string, **kwargs))


def test_search_filters(store, experiment_id, run_id, models):
    assert sorted(search(store, experiment_id)) == ["a", "b", "c"]
    assert search(store, experiment_id, "name = 'b'") == ["b"]
    assert sorted(search(store, experiment_id, "name LIKE '%'")) == ["a", "b", "c"]
    assert search(store, experiment_id, "attributes.name != 'a' AND name != 'b'") == ["c"]
    assert sorted(search(store, experiment_id, "status = 'READY'")) == ["a", "c"]
    assert search(store, experiment_id, "status = 'LOGGED_MODEL_PENDING'") == ["b"]
    assert search(store, experiment_id, f"source_run_id = '{run_id}'") == ["c"]
    assert search(store, experiment_id, f"model_id = '{models['b'].model_id}'") == ["b"]
    assert search(store, experiment_id, "model_type = 'clf'") == ["a"]
    assert search(store, experiment_id, "tags.team = 'y'") == ["b"]
    assert sorted(search(store, experiment_id, "tags.`team` != 'y'")) == ["a", "c"]
    assert search(store, experiment_id, "params.lr = '0.3'") == ["c"]
    assert search(store, experiment_id, "params.lr ILIKE '0.1'") == ["a"]
    assert search(store, experiment_id, "creation_timestamp > 0 AND creation_time < 99999999999999") != []
    assert search(store, experiment_id, "last_updated_timestamp < 0") == []


def test_search_metric_filters_use_the_latest_value(store, experiment_id, models):
    assert search(store, experiment_id, "metrics.acc > 0.8") == ["a"]  # b's latest is 0.5
    assert search(store, experiment_id, "metrics.acc < 0.3") == []  # a's 0.2 is not its latest
    assert search(store, experiment_id, "metrics.acc > 0.9",
                  datasets=[{"dataset_name": "train"}]) == ["b"]
    assert search(store, experiment_id, "metrics.acc = 0.5",
                  datasets=[{"dataset_name": "val", "dataset_digest": "d1"}]) == ["b"]
    assert search(store, experiment_id, "metrics.acc = 0.5",
                  datasets=[{"dataset_name": "val", "dataset_digest": "other"}]) == []
    # Datasets without a metric clause: models with any metric on them.
    assert search(store, experiment_id, datasets=[{"dataset_name": "val"}]) == ["b"]
    with pytest.raises(InvalidParameterValue, match="dataset_name"):
        store.search_logged_models([experiment_id], datasets=[{"dataset_digest": "d1"}])


def test_search_order_by(store, experiment_id, models):
    assert search(store, experiment_id, order_by=[{"field_name": "name"}]) == ["a", "b", "c"]
    assert search(store, experiment_id, order_by=[{"field_name": "name", "ascending": False}]) == ["c", "b", "a"]
    # Metrics sort on the latest value, models without the metric last.
    assert search(store, experiment_id, order_by=[{"field_name": "metrics.acc", "ascending": False}]) == ["a", "b", "c"]
    assert search(store, experiment_id, order_by=[{"field_name": "metrics.acc"}]) == ["b", "a", "c"]
    train_first = [{"field_name": "metrics.acc", "ascending": False, "dataset_name": "train"}]
    assert search(store, experiment_id, order_by=train_first)[0] == "b"
    assert search(store, experiment_id, order_by=["name DESC"]) == ["c", "b", "a"]
    found = store.search_logged_models([experiment_id])
    keys = [(-m.creation_timestamp, m.model_id) for m in found]
    assert keys == sorted(keys)  # default: creation_timestamp DESC, model_id ASC
    found = store.search_logged_models([experiment_id], order_by=[{"field_name": "creation_time", "ascending": True}])
    keys = [(m.creation_timestamp, m.model_id) for m in found]
    assert keys == sorted(keys)


def test_search_paging(store, experiment_id):
    made = {store.create_logged_model(experiment_id, name=f"m{i}").name for i in range(7)}
    seen: list[str] = []
    token = None
    while True:
        page = store.search_logged_models([experiment_id], max_results=3, page_token=token,
                                          order_by=[{"field_name": "name"}])
        seen += names(page)
        token = page.token
        if token is None:
            break
        assert len(page) == 3
    assert seen == sorted(made)
    assert len(store.search_logged_models([experiment_id])) == 7
    assert store.search_logged_models(["424242", "not-a-number"]) == []


@pytest.mark.parametrize("bad", [
    "name = a", "name > 'a'", "metrics.acc = 'x'", "params.lr IS NULL", "colour = 'red'", "runs.x = '1'",
    "name = 'a' OR name = 'b'", "status = 'DONE'",
])
def test_search_rejects_bad_filters(store, experiment_id, bad):
    with pytest.raises(InvalidParameterValue):
        store.search_logged_models([experiment_id], bad)


@pytest.mark.parametrize("order_by", [
    [{"field_name": "params.lr"}], [{"field_name": "colour"}], [{"ascending": True}],
    [{"field_name": "name", "ascending": "yes"}], [{"field_name": "name", "direction": "asc"}],
    [{"field_name": "name"}, {"field_name": "name"}], [{"field_name": "name", "dataset_name": "val"}], [42],
])
def test_search_rejects_bad_order_by(store, experiment_id, order_by):
    with pytest.raises(InvalidParameterValue, match="order_by"):
        store.search_logged_models([experiment_id], order_by=order_by)


def test_search_max_results(store, experiment_id):
    for bad in (0, -1, 50001, "10"):
        with pytest.raises(InvalidParameterValue, match="max_results"):
            store.search_logged_models([experiment_id], max_results=bad)
    with pytest.raises(InvalidParameterValue, match="page token"):
        store.search_logged_models([experiment_id], page_token="garbage")
