"""runyard's client (fluent API and ``runyard.MlflowClient``) drives a real ``mlflow server`` 3.17.2.

The server runs in a subprocess with a SQLite store and proxied artifacts (``mlflow-artifacts:/``),
so every call crosses runyard's REST store and artifact-proxy client. Models are not covered in
this direction: runyard has no model flavors yet.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import pytest

from runyard.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag, ViewType
from runyard.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist, RunyardException
from tests.compat.names import unique


def _raises(cls: type[RunyardException], call, *args, **kwargs) -> RunyardException:
    with pytest.raises(cls) as info:
        call(*args, **kwargs)
    assert info.value.error_code == cls.error_code
    return info.value


def _pages(fetch) -> tuple[list, int]:
    items, token, pages = [], None, 0
    while True:
        page = fetch(token)
        pages += 1
        items.extend(page)
        token = page.token
        if not token:
            return items, pages


# -- experiments ----------------------------------------------------------------------------------
def test_experiment_lifecycle(runyard_on_mlflow):
    mlflow = runyard_on_mlflow
    client = mlflow.MlflowClient()
    name = unique("exp")
    experiment_id = client.create_experiment(name, tags={"team": "vision", "owner": "ada"})

    experiment = client.get_experiment(experiment_id)
    assert (experiment.experiment_id, experiment.name, experiment.lifecycle_stage) == (experiment_id, name, "active")
    assert experiment.tags == {"team": "vision", "owner": "ada"}
    assert experiment.artifact_location == f"mlflow-artifacts:/{experiment_id}"
    assert experiment.creation_time > 0 and experiment.last_update_time >= experiment.creation_time
    assert client.get_experiment_by_name(name).experiment_id == experiment_id
    assert client.get_experiment_by_name(unique("missing")) is None

    client.set_experiment_tag(experiment_id, "stage", "dev")
    client.delete_experiment_tag(experiment_id, "owner")
    renamed = unique("renamed")
    client.rename_experiment(experiment_id, renamed)
    experiment = client.get_experiment(experiment_id)
    assert experiment.name == renamed and experiment.tags == {"team": "vision", "stage": "dev"}

    client.delete_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "deleted"
    assert client.get_experiment_by_name(renamed).lifecycle_stage == "deleted"
    deleted = client.search_experiments(view_type=ViewType.DELETED_ONLY, filter_string=f"name = '{renamed}'")
    assert [e.experiment_id for e in deleted] == [experiment_id]
    assert list(client.search_experiments(filter_string=f"name = '{renamed}'")) == []
    client.restore_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "active"


def test_set_experiment_creates_then_reuses(runyard_on_mlflow):
    mlflow = runyard_on_mlflow
    name = unique("fluent")
    created = mlflow.set_experiment(name)
    assert created.name == name and created.lifecycle_stage == "active"
    assert mlflow.set_experiment(name).experiment_id == created.experiment_id
    assert mlflow.get_experiment_by_name(name).experiment_id == created.experiment_id
    with mlflow.start_run() as run:
        pass
    assert run.info.experiment_id == created.experiment_id


def test_errors_map_to_runyard_classes(runyard_on_mlflow):
    client = runyard_on_mlflow.MlflowClient()
    name = unique("dup")
    experiment_id = client.create_experiment(name)
    _raises(ResourceAlreadyExists, client.create_experiment, name)
    _raises(ResourceDoesNotExist, client.get_experiment, "987654321")
    _raises(ResourceDoesNotExist, client.get_run, "0" * 32)
    _raises(InvalidParameterValue, client.search_experiments, filter_string="name =")
    _raises(InvalidParameterValue, client.search_runs, [experiment_id], filter_string="metrics.acc >>> 1")
    # MLflow's own message comes through.
    error = _raises(ResourceDoesNotExist, client.get_run, "f" * 32)
    assert "f" * 32 in error.message


def test_search_experiments_filter_order_and_pages(runyard_on_mlflow):
    mlflow = runyard_on_mlflow
    client = mlflow.MlflowClient()
    prefix = unique("search")
    ids = {}
    for i, team in enumerate(["a", "b", "a", "b", "a"]):
        name = f"{prefix}-{i}"
        ids[name] = client.create_experiment(name, tags={"team": team, "i": str(i)})

    found, pages = _pages(lambda token: client.search_experiments(
        filter_string=f"name LIKE '{prefix}-%'", order_by=["name DESC"], max_results=2, page_token=token))
    assert [e.name for e in found] == sorted(ids, reverse=True)
    assert pages == 3
    assert {e.name: e.experiment_id for e in found} == ids

    team_a = client.search_experiments(filter_string=f"name LIKE '{prefix}%' AND tags.team = 'a'",
                                       order_by=["name ASC"])
    assert [e.name for e in team_a] == [f"{prefix}-0", f"{prefix}-2", f"{prefix}-4"]
    fluent = mlflow.search_experiments(filter_string=f"name ILIKE '{prefix.upper()}-%'")
    assert sorted(e.name for e in fluent) == sorted(ids)


# -- runs -----------------------------------------------------------------------------------------
def test_runs_nested_update_delete_restore(runyard_on_mlflow):
    mlflow = runyard_on_mlflow
    client = mlflow.MlflowClient()
    experiment = mlflow.set_experiment(unique("runs"))
    with mlflow.start_run(run_name="parent", tags={"purpose": "compat"}) as parent:
        with mlflow.start_run(run_name="child", nested=True) as child:
            assert mlflow.active_run().info.run_id == child.info.run_id
        assert mlflow.active_run().info.run_id == parent.info.run_id

    parent_run = client.get_run(parent.info.run_id)
    assert (parent_run.info.run_name, parent_run.info.status) == ("parent", "FINISHED")
    assert parent_run.data.tags["mlflow.runName"] == "parent" and parent_run.data.tags["purpose"] == "compat"
    assert parent_run.info.end_time >= parent_run.info.start_time > 0
    assert parent_run.info.artifact_uri == \
        f"mlflow-artifacts:/{experiment.experiment_id}/{parent.info.run_id}/artifacts"
    assert client.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert mlflow.get_parent_run(child.info.run_id).info.run_id == parent.info.run_id
    assert mlflow.get_parent_run(parent.info.run_id) is None

    run = client.create_run(experiment.experiment_id, run_name="manual", tags={"k": "v"})
    assert run.info.status == "RUNNING" and run.info.end_time is None and run.data.tags["k"] == "v"
    run_id = run.info.run_id
    client.update_run(run_id, status="SCHEDULED", name="renamed")
    updated = client.get_run(run_id)
    assert (updated.info.status, updated.info.run_name) == ("SCHEDULED", "renamed")
    client.set_terminated(run_id, status="FAILED", end_time=updated.info.start_time + 1234)
    ended = client.get_run(run_id).info
    assert (ended.status, ended.end_time) == ("FAILED", updated.info.start_time + 1234)

    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    active = client.search_runs([experiment.experiment_id])
    assert run_id not in {r.info.run_id for r in active} and len(active) == 2
    deleted = client.search_runs([experiment.experiment_id], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted] == [run_id]
    client.restore_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    assert len(client.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL)) == 3


# -- params, metrics, tags ------------------------------------------------------------------------
def test_params_are_strings_and_immutable(runyard_on_mlflow):
    mlflow = runyard_on_mlflow
    mlflow.set_experiment(unique("params"))
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_params({"layers": 3, "activation": "relu", "flag": True})
        mlflow.log_param("alpha", 0.5)
        _raises(InvalidParameterValue, mlflow.log_param, "alpha", 0.7)
        _raises(InvalidParameterValue, mlflow.MlflowClient().log_batch, run.info.run_id,
                params=[Param("layers", "4")])
    assert mlflow.get_run(run.info.run_id).data.params == \
        {"alpha": "0.5", "layers": "3", "activation": "relu", "flag": "True"}


def test_metrics_steps_and_non_finite_values(runyard_on_mlflow):
    mlflow = runyard_on_mlflow
    client = mlflow.MlflowClient()
    mlflow.set_experiment(unique("metrics"))
    with mlflow.start_run() as run:
        for step, value in enumerate([0.25, float("nan"), float("inf"), float("-inf"), 1e-300, 0.75]):
            mlflow.log_metric("loss", value, step=step)
        mlflow.log_metrics({"acc": 0.9, "f1": 0.125}, step=7)
        client.log_metric(run.info.run_id, "acc", 0.95, timestamp=1_700_000_000_123, step=8)
    run_id = run.info.run_id

    history = client.get_metric_history(run_id, "loss")
    assert [m.step for m in history] == [0, 1, 2, 3, 4, 5]
    values = [m.value for m in history]
    assert values[0] == 0.25 and math.isnan(values[1])
    # MLflow's SQL store keeps +/-inf as the largest finite doubles; runyard sent "Infinity".
    assert values[2] == sys.float_info.max and values[3] == -sys.float_info.max
    assert values[4] == 1e-300 and values[5] == 0.75
    assert all(m.timestamp > 0 and m.key == "loss" for m in history)

    # MLflow orders a history by (timestamp, step, value), runyard by (step, timestamp): the point
    # logged with an old timestamp at step 8 comes first on one and last on the other.
    acc = sorted(client.get_metric_history(run_id, "acc"), key=lambda m: m.step)
    assert [(m.step, m.value) for m in acc] == [(7, 0.9), (8, 0.95)]
    assert acc[1].timestamp == 1_700_000_000_123
    assert client.get_run(run_id).data.metrics == {"loss": 0.75, "acc": 0.95, "f1": 0.125}
    assert client.get_metric_history(run_id, "never-logged") == []


def test_log_batch_over_the_server_limit(runyard_on_mlflow):
    client = runyard_on_mlflow.MlflowClient()
    experiment_id = client.create_experiment(unique("batch"))
    run_id = client.create_run(experiment_id).info.run_id
    points = [Metric("curve", i * 0.5, 1_700_000_000_000 + i, i) for i in range(2500)]
    client.log_batch(run_id, metrics=points, params=[Param(f"p{i}", str(i)) for i in range(150)],
                     tags=[RunTag("batch", "yes")])
    history = client.get_metric_history(run_id, "curve")
    assert [(m.step, m.value, m.timestamp) for m in history] == \
        [(i, i * 0.5, 1_700_000_000_000 + i) for i in range(2500)]
    run = client.get_run(run_id)
    assert run.data.metrics == {"curve": 2499 * 0.5}
    assert run.data.params == {f"p{i}": str(i) for i in range(150)}
    assert run.data.tags["batch"] == "yes"


def test_async_logging_reaches_the_server(runyard_on_mlflow):
    mlflow = runyard_on_mlflow
    mlflow.set_experiment(unique("async"))
    with mlflow.start_run() as run:
        for step in range(50):
            mlflow.log_metric("q", step / 4, step=step, synchronous=False)
        mlflow.log_param("mode", "async", synchronous=False)
        mlflow.set_tag("queued", "yes", synchronous=False)
    # end_run writes what is queued first.
    client = mlflow.MlflowClient()
    assert [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, "q")] == \
        [(step, step / 4) for step in range(50)]
    data = client.get_run(run.info.run_id).data
    assert (data.params["mode"], data.tags["queued"]) == ("async", "yes")


def test_tags(runyard_on_mlflow):
    mlflow = runyard_on_mlflow
    mlflow.set_experiment(unique("tags"))
    with mlflow.start_run() as run:
        mlflow.set_tag("stage", "dev")
        mlflow.set_tags({"owner": "ada", "stage": "prod", "unicode": "täg ✓"})
        mlflow.set_tag("doomed", "x")
        mlflow.delete_tag("doomed")
    tags = mlflow.get_run(run.info.run_id).data.tags
    assert tags["stage"] == "prod" and tags["owner"] == "ada" and tags["unicode"] == "täg ✓"
    assert "doomed" not in tags and tags["mlflow.user"]
    _raises(ResourceDoesNotExist, mlflow.MlflowClient().delete_tag, run.info.run_id, "doomed")


# -- search ---------------------------------------------------------------------------------------
def _seed_search(mlflow) -> tuple[str, dict[str, str]]:
    experiment = mlflow.set_experiment(unique("search-runs"))
    runs = {}
    for i in range(7):
        with mlflow.start_run(run_name=f"r{i}") as run:
            mlflow.log_param("kind", "a" if i % 2 == 0 else "b")
            mlflow.log_metric("acc", i / 10)
            mlflow.set_tag("i", str(i))
        runs[f"r{i}"] = run.info.run_id
    return experiment.experiment_id, runs


def test_search_runs_filter_order_and_pages(runyard_on_mlflow):
    mlflow = runyard_on_mlflow
    client = mlflow.MlflowClient()
    experiment_id, runs = _seed_search(mlflow)

    found, pages = _pages(lambda token: client.search_runs(
        [experiment_id], filter_string="params.kind = 'a' and metrics.acc >= 0.2",
        order_by=["metrics.acc DESC"], max_results=2, page_token=token))
    assert [r.info.run_name for r in found] == ["r6", "r4", "r2"]
    assert pages == 2
    assert [r.data.metrics["acc"] for r in found] == [0.6, 0.4, 0.2]

    everything, pages = _pages(lambda token: client.search_runs(
        [experiment_id], order_by=["attributes.run_name ASC"], max_results=3, page_token=token))
    assert [r.info.run_id for r in everything] == [runs[f"r{i}"] for i in range(7)]
    assert pages == 3

    by_tag = client.search_runs([experiment_id], "tags.i != '3' and params.kind = 'b'", order_by=["tags.i DESC"])
    assert [r.info.run_name for r in by_tag] == ["r5", "r1"]
    by_ids = client.search_runs([experiment_id], f"attributes.run_id IN ('{runs['r2']}', '{runs['r6']}')",
                                order_by=["metrics.acc ASC"])
    assert [r.info.run_name for r in by_ids] == ["r2", "r6"]


def test_search_runs_into_pandas(runyard_on_mlflow):
    mlflow = runyard_on_mlflow
    experiment_id, runs = _seed_search(mlflow)
    frame = mlflow.search_runs([experiment_id], filter_string="params.kind = 'b'", order_by=["metrics.acc ASC"])
    assert list(frame["run_id"]) == [runs["r1"], runs["r3"], runs["r5"]]
    assert list(frame["metrics.acc"]) == [0.1, 0.3, 0.5]
    assert list(frame["params.kind"]) == ["b", "b", "b"]
    assert list(frame["tags.mlflow.runName"]) == ["r1", "r3", "r5"]
    assert set(frame["status"]) == {"FINISHED"} and set(frame["experiment_id"]) == {experiment_id}
    listed = mlflow.search_runs([experiment_id], max_results=4, output_format="list", order_by=["tags.i DESC"])
    assert [r.info.run_name for r in listed] == ["r6", "r5", "r4", "r3"]


def test_log_input_dataset(runyard_on_mlflow):
    mlflow = runyard_on_mlflow
    schema = json.dumps({"mlflow_colspec": [{"type": "double", "name": "x", "required": True}]})
    dataset = Dataset(name="train-set", digest="b064d295", source_type="s3",
                      source=json.dumps({"uri": "s3://bucket/train.csv"}), schema=schema,
                      profile=json.dumps({"num_rows": 3, "num_elements": 3}))
    mlflow.set_experiment(unique("inputs"))
    with mlflow.start_run() as run:
        mlflow.log_input(dataset, context="training", tags={"split": "train"})
    inputs = mlflow.get_run(run.info.run_id).inputs.dataset_inputs
    assert [d.dataset for d in inputs] == [dataset]
    assert {t.key: t.value for t in inputs[0].tags} == {"split": "train", "mlflow.data.context": "training"}
    client = mlflow.MlflowClient()
    other = client.create_run(run.info.experiment_id).info.run_id
    client.log_inputs(other, [DatasetInput(dataset, (InputTag("mlflow.data.context", "eval"),))])
    assert client.get_run(other).inputs.dataset_inputs[0].tags == (InputTag("mlflow.data.context", "eval"),)


# -- artifacts ------------------------------------------------------------------------------------
def test_artifacts_through_the_proxy(runyard_on_mlflow, mlflow_server, tmp_path):
    mlflow = runyard_on_mlflow
    client = mlflow.MlflowClient()
    mlflow.set_experiment(unique("artifacts"))
    blob = os.urandom(3 * 1024 * 1024 + 17)
    (tmp_path / "model.bin").write_bytes(blob)
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "top.txt").write_text("top")
    (tree / "sub" / "deep.csv").write_text("a,b\n1,2\n")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "model.bin"))
        mlflow.log_artifact(str(tmp_path / "model.bin"), artifact_path="copies")
        mlflow.log_artifacts(str(tree), artifact_path="tree")
        mlflow.log_text("hello, mlflow ✓", "notes/hello.txt")
        mlflow.log_dict({"lr": 0.1, "layers": [1, 2]}, "config/params.json")
    run_id = run.info.run_id

    root = client.list_artifacts(run_id)
    assert [(f.path, f.is_dir) for f in root] == \
        [("config", True), ("copies", True), ("model.bin", False), ("notes", True), ("tree", True)]
    assert [f.file_size for f in root if not f.is_dir] == [len(blob)]
    assert [(f.path, f.is_dir) for f in client.list_artifacts(run_id, "tree")] == \
        [("tree/sub", True), ("tree/top.txt", False)]
    assert [(f.path, f.file_size) for f in client.list_artifacts(run_id, "tree/sub")] == [("tree/sub/deep.csv", 8)]
    assert client.list_artifacts(run_id, "no-such-dir") == []

    local = client.download_artifacts(run_id, "tree", str(tmp_path / "down"))
    assert Path(local, "top.txt").read_text() == "top"
    assert Path(local, "sub", "deep.csv").read_text() == "a,b\n1,2\n"
    file_path = client.download_artifacts(run_id, "copies/model.bin", str(tmp_path / "down2"))
    assert Path(file_path).read_bytes() == blob
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/notes/hello.txt") == "hello, mlflow ✓"
    assert mlflow.artifacts.load_dict(f"runs:/{run_id}/config/params.json") == {"lr": 0.1, "layers": [1, 2]}
    everything = mlflow.artifacts.download_artifacts(f"runs:/{run_id}/", dst_path=str(tmp_path / "all"))
    assert sorted(os.listdir(everything)) == ["config", "copies", "model.bin", "notes", "tree"]
    # What MLflow's server wrote where its own layout says it should be.
    stored = Path(mlflow_server.root, "mlartifacts", run.info.experiment_id, run_id, "artifacts")
    assert (stored / "copies" / "model.bin").read_bytes() == blob
