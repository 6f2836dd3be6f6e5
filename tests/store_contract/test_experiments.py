"""Experiments: the Default experiment, create/get/search/rename/delete/restore, tags."""

from __future__ import annotations

import pytest

from runyard.entities import RunTag, ViewType
from runyard.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist


def test_default_experiment_exists(store):
    default = store.get_experiment("0")
    assert default.name == "Default"
    assert default.lifecycle_stage == "active"
    assert default.artifact_location.endswith("/0")
    assert store.get_experiment_by_name("Default").experiment_id == "0"


def test_create_and_get(store):
    experiment_id = store.create_experiment("Housing Price Prediction", tags=[RunTag("team", "ds")])
    assert experiment_id != "0"
    experiment = store.get_experiment(experiment_id)
    assert experiment.name == "Housing Price Prediction"
    assert experiment.tags == {"team": "ds"}
    assert experiment.artifact_location.endswith(f"/{experiment_id}")
    assert experiment.creation_time and experiment.last_update_time
    assert store.get_experiment_by_name("Housing Price Prediction") == experiment


def test_explicit_artifact_location_is_kept(store):
    experiment_id = store.create_experiment("loc", artifact_location="s3://bucket/path")
    assert store.get_experiment(experiment_id).artifact_location == "s3://bucket/path"


def test_duplicate_name_rejected_even_when_deleted(store):
    experiment_id = store.create_experiment("dup")
    with pytest.raises(ResourceAlreadyExists, match="dup"):
        store.create_experiment("dup")
    store.delete_experiment(experiment_id)
    with pytest.raises(ResourceAlreadyExists):
        store.create_experiment("dup")


def test_missing_experiment_raises(store):
    with pytest.raises(ResourceDoesNotExist):
        store.get_experiment("424242")
    with pytest.raises(ResourceDoesNotExist):
        store.get_experiment_by_name("nope")


@pytest.mark.parametrize("name", ["", "   ", None, "x" * 501])
def test_bad_names_rejected(store, name):
    with pytest.raises(InvalidParameterValue, match="experiment name"):
        store.create_experiment(name)


def test_names_are_case_sensitive_and_unicode(store):
    a = store.create_experiment("Model")
    b = store.create_experiment("model")
    c = store.create_experiment("模型 ☃")
    assert len({a, b, c}) == 3
    assert store.get_experiment_by_name("模型 ☃").experiment_id == c


def test_rename(store):
    experiment_id = store.create_experiment("old")
    store.create_experiment("taken")
    store.rename_experiment(experiment_id, "new")
    assert store.get_experiment(experiment_id).name == "new"
    with pytest.raises(ResourceAlreadyExists):
        store.rename_experiment(experiment_id, "taken")


def test_delete_and_restore_cascade_to_runs(store):
    experiment_id = store.create_experiment("lifecycle")
    run = store.create_run(experiment_id, "u", None, [], "r")
    store.delete_experiment(experiment_id)
    assert store.get_experiment(experiment_id).lifecycle_stage == "deleted"
    assert store.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    assert store.get_experiment_by_name("lifecycle").lifecycle_stage == "deleted"
    with pytest.raises(InvalidParameterValue):
        store.create_run(experiment_id, "u", None, [], "r2")
    store.restore_experiment(experiment_id)
    assert store.get_experiment(experiment_id).lifecycle_stage == "active"
    assert store.get_run(run.info.run_id).info.lifecycle_stage == "active"


def test_tags_set_overwrite_delete(store):
    experiment_id = store.create_experiment("tags")
    store.set_experiment_tag(experiment_id, RunTag("k", "v1"))
    store.set_experiment_tag(experiment_id, RunTag("k", "v2"))
    store.set_experiment_tag(experiment_id, RunTag("big", "x" * 20000))
    assert store.get_experiment(experiment_id).tags["k"] == "v2"
    with pytest.raises(InvalidParameterValue, match="20000"):
        store.set_experiment_tag(experiment_id, RunTag("big", "x" * 20001))
    assert store.get_experiment(experiment_id).tags["big"] == "x" * 20000
    store.delete_experiment_tag(experiment_id, "k")
    assert "k" not in store.get_experiment(experiment_id).tags
    with pytest.raises(ResourceDoesNotExist):
        store.delete_experiment_tag(experiment_id, "k")


def test_search_filters_order_and_pages(store):
    ids = [store.create_experiment(f"exp-{i}", tags=[RunTag("i", str(i))]) for i in range(5)]
    store.delete_experiment(ids[0])
    active = store.search_experiments()
    assert {e.experiment_id for e in active} == set(ids[1:]) | {"0"}
    assert [e.experiment_id for e in active][-1] == "0"  # oldest last: creation_time DESC
    assert {e.experiment_id for e in store.search_experiments(view_type=ViewType.DELETED_ONLY)} == {ids[0]}
    assert len(store.search_experiments(view_type=ViewType.ALL)) == 6
    found = store.search_experiments(filter_string="name LIKE 'exp-%' AND tags.i != '2'", order_by=["name DESC"])
    assert [e.name for e in found] == ["exp-4", "exp-3", "exp-1"]
    assert [e.name for e in store.search_experiments(filter_string="name ILIKE 'EXP-3'")] == ["exp-3"]
    first = store.search_experiments(max_results=2, order_by=["name ASC"], view_type=ViewType.ALL)
    assert [e.name for e in first] == ["Default", "exp-0"] and first.token
    second = store.search_experiments(max_results=2, order_by=["name ASC"], view_type=ViewType.ALL, page_token=first.token)
    assert [e.name for e in second] == ["exp-1", "exp-2"]
    third = store.search_experiments(max_results=2, order_by=["name ASC"], view_type=ViewType.ALL, page_token=second.token)
    assert [e.name for e in third] == ["exp-3", "exp-4"] and third.token is None
    assert {e.name for e in store.search_experiments(filter_string="tags.i IS NULL")} == {"Default"}
    assert [e.experiment_id for e in store.search_experiments(filter_string=f"experiment_id IN ('{ids[2]}', 'x')")] == [ids[2]]


def test_search_bad_arguments(store):
    with pytest.raises(InvalidParameterValue):
        store.search_experiments(filter_string="metrics.x > 1")
    with pytest.raises(InvalidParameterValue, match="max_results"):
        store.search_experiments(max_results=50001)
    with pytest.raises(InvalidParameterValue):
        store.search_experiments(page_token="not-a-token")
