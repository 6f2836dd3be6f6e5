"""Runs: create, get, update, delete/restore, names, system tags, nested runs."""

from __future__ import annotations

import pytest

from runyard.entities import RunTag
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist


def test_create_run_shape(store, experiment_id):
    run = store.create_run(experiment_id, "alice", 1234, [RunTag("mlflow.user", "alice")], "first")
    info = run.info
    assert len(info.run_id) == 32 and info.run_uuid == info.run_id
    assert info.experiment_id == experiment_id
    assert info.run_name == "first" and info.user_id == "alice"
    assert info.status == "RUNNING" and info.start_time == 1234 and info.end_time is None
    assert info.lifecycle_stage == "active"
    assert info.artifact_uri.endswith(f"/{experiment_id}/{info.run_id}/artifacts")
    assert run.data.tags == {"mlflow.user": "alice", "mlflow.runName": "first"}
    assert store.get_run(info.run_id).info == info


def test_generated_run_name_and_runname_tag(store, experiment_id):
    generated = store.create_run(experiment_id, "u", None, [], None)
    assert generated.info.run_name.count("-") == 2
    assert generated.data.tags["mlflow.runName"] == generated.info.run_name
    from_tag = store.create_run(experiment_id, "u", None, [RunTag("mlflow.runName", "tagged")], None)
    assert from_tag.info.run_name == "tagged"
    with pytest.raises(InvalidParameterValue, match="run_name"):
        store.create_run(experiment_id, "u", None, [RunTag("mlflow.runName", "a")], "b")


def test_create_run_in_missing_experiment(store):
    with pytest.raises(ResourceDoesNotExist):
        store.create_run("999999", "u", None, [], None)


def test_get_missing_run(store):
    with pytest.raises(ResourceDoesNotExist, match="not found"):
        store.get_run("0" * 32)
    with pytest.raises(InvalidParameterValue):
        store.get_run("../etc")


def test_update_run_info(store, run_id):
    info = store.update_run_info(run_id, "FINISHED", 5000, None)
    assert info.status == "FINISHED" and info.end_time == 5000
    info = store.update_run_info(run_id, None, None, "renamed")
    assert info.run_name == "renamed"
    assert store.get_run(run_id).data.tags["mlflow.runName"] == "renamed"
    with pytest.raises(InvalidParameterValue, match="status"):
        store.update_run_info(run_id, "DONE", None, None)
    assert store.get_run(run_id).info.status == "FINISHED"


def test_delete_restore(store, run_id):
    store.delete_run(run_id)
    assert store.get_run(run_id).info.lifecycle_stage == "deleted"
    with pytest.raises(InvalidParameterValue, match="active"):
        store.update_run_info(run_id, "FAILED", None, None)
    store.restore_run(run_id)
    assert store.get_run(run_id).info.lifecycle_stage == "active"
    with pytest.raises(ResourceDoesNotExist):
        store.delete_run("f" * 32)


def test_nested_runs_via_parent_tag(store, experiment_id):
    parent = store.create_run(experiment_id, "u", None, [], "parent")
    child = store.create_run(experiment_id, "u", None, [RunTag("mlflow.parentRunId", parent.info.run_id)], "child")
    found = store.search_runs([experiment_id], f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'")
    assert [r.info.run_id for r in found] == [child.info.run_id]
