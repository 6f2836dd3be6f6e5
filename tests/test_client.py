"""RunyardClient against a real SQLite store in a temporary directory."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from runyard.client import MlflowClient, RunyardClient
from runyard.client.runs_frame import runs_to_frame
from runyard.client.tracking_uri import set_tracking_uri
from runyard.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag, ViewType
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist
from runyard.stores import factory

_ENV = ("TRACKING_URI", "EXPERIMENT_NAME", "EXPERIMENT_ID", "RUN_ID", "ENABLE_ASYNC_LOGGING")


@pytest.fixture
def client(tmp_path, monkeypatch) -> RunyardClient:
    for name in _ENV:
        for prefix in ("RUNYARD_", "MLFLOW_"):
            monkeypatch.delenv(prefix + name, raising=False)
    monkeypatch.chdir(tmp_path)
    factory.clear_cache()
    yield RunyardClient(f"sqlite:///{tmp_path}/runyard.db")
    set_tracking_uri("")
    factory.clear_cache()


@pytest.fixture
def run_id(client: RunyardClient) -> str:
    return client.create_run("0").info.run_id


def test_alias_and_default_uri(tmp_path, client):
    assert MlflowClient is RunyardClient
    set_tracking_uri(f"sqlite:///{tmp_path}/runyard.db")
    assert RunyardClient().tracking_uri == client.tracking_uri


def test_experiment_lifecycle(client):
    exp_id = client.create_experiment("exp-a", tags={"team": "x", "n": 1})
    exp = client.get_experiment(exp_id)
    assert (exp.name, exp.tags) == ("exp-a", {"team": "x", "n": "1"})
    assert client.get_experiment_by_name("exp-a").experiment_id == exp_id
    assert client.get_experiment_by_name("missing") is None
    with pytest.raises(ResourceDoesNotExist):
        client.get_experiment("98765")
    client.rename_experiment(exp_id, "exp-b")
    client.set_experiment_tag(exp_id, "k", "v")
    client.delete_experiment_tag(exp_id, "team")
    exp = client.get_experiment(exp_id)
    assert exp.name == "exp-b" and exp.tags == {"n": "1", "k": "v"}
    client.delete_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "deleted"
    assert exp_id not in [e.experiment_id for e in client.search_experiments()]
    assert exp_id in [e.experiment_id for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)]
    client.restore_experiment(exp_id)
    found = client.search_experiments(filter_string="name = 'exp-b'")
    assert [e.experiment_id for e in found] == [exp_id] and found.token is None


def test_create_run_sets_user_and_name(client):
    run = client.create_run("0", tags={"a": 1}, run_name="r1", start_time=123)
    assert run.info.run_name == "r1" and run.info.start_time == 123 and run.info.status == "RUNNING"
    assert run.data.tags["mlflow.user"] and run.data.tags["a"] == "1"
    assert run.data.tags["mlflow.runName"] == "r1"
    unnamed = client.create_run("0", tags={"mlflow.user": "alice"})
    assert unnamed.info.user_id == "alice" and unnamed.info.run_name


def test_update_terminate_delete_restore(client, run_id):
    client.update_run(run_id, name="renamed")
    assert client.get_run(run_id).info.run_name == "renamed"
    client.set_terminated(run_id, "KILLED", end_time=999)
    info = client.get_run(run_id).info
    assert (info.status, info.end_time) == ("KILLED", 999)
    client.update_run(run_id, status="FINISHED")
    assert client.get_run(run_id).info.status == "FINISHED"
    client.delete_run(run_id)
    assert client.search_runs(["0"]) == []
    assert [r.info.run_id for r in client.search_runs("0", run_view_type=ViewType.ALL)] == [run_id]
    client.restore_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"


def test_log_metric_values_and_defaults(client, run_id):
    assert client.log_metric(run_id, "a", 1) is None
    client.log_metric(run_id, "b", np.float32(0.5), step=3, timestamp=42)
    client.log_metric(run_id, "c", np.array([2.0]))
    client.log_metric(run_id, "d", float("nan"))
    data = client.get_run(run_id).data
    assert data.metrics["a"] == 1.0 and data.metrics["b"] == 0.5 and data.metrics["c"] == 2.0
    assert math.isnan(data.metrics["d"])
    [point] = client.get_metric_history(run_id, "b")
    assert (point.value, point.step, point.timestamp) == (0.5, 3, 42)
    assert client.get_metric_history(run_id, "a")[0].step == 0


@pytest.mark.parametrize("bad", [True, "1.0", None, [1, 2]])
def test_log_metric_rejects_non_numbers(client, run_id, bad):
    with pytest.raises(InvalidParameterValue, match="'loss'"):
        client.log_metric(run_id, "loss", bad)


def test_params_and_tags(client, run_id):
    assert client.log_param(run_id, "lr", 0.01) == 0.01
    assert client.log_param(run_id, "lr", 0.01) == 0.01  # same value again: no-op
    with pytest.raises(InvalidParameterValue, match="Changing param values is not allowed"):
        client.log_param(run_id, "lr", 0.02)
    client.set_tag(run_id, "t", 5)
    client.set_tag(run_id, "gone", "x")
    client.delete_tag(run_id, "gone")
    data = client.get_run(run_id).data
    assert data.params == {"lr": "0.01"}
    assert data.tags["t"] == "5" and "gone" not in data.tags


def test_log_batch_is_split_within_limits(client, run_id):
    metrics = [Metric("m", float(i), 1000 + i, i) for i in range(2500)]
    params = [Param(f"p{i}", str(i)) for i in range(150)]
    tags = [RunTag(f"t{i}", str(i)) for i in range(150)]
    assert client.log_batch(run_id, metrics, params, tags) is None
    data = client.get_run(run_id).data
    assert len(data.params) == 150 and len([k for k in data.tags if k.startswith("t")]) == 150
    history = client.get_metric_history(run_id, "m")
    assert sorted(m.step for m in history) == list(range(2500))


def test_metric_history_spans_pages(client, run_id):
    client.log_batch(run_id, [Metric("h", float(i), i, i) for i in range(30000)])
    assert len(client.get_metric_history(run_id, "h")) == 30000


def test_log_inputs(client, run_id):
    ds = Dataset(name="ds", digest="abc", source_type="local", source='{"uri": "x"}')
    client.log_inputs(run_id, [DatasetInput(ds, (InputTag("mlflow.data.context", "training"),))])
    [recorded] = client.get_run(run_id).inputs.dataset_inputs
    assert recorded.dataset.name == "ds" and recorded.tags[0].value == "training"


def test_search_runs_paging_and_filter(client):
    ids = set()
    for i in range(5):
        rid = client.create_run("0").info.run_id
        client.log_metric(rid, "acc", i / 10)
        ids.add(rid)
    first = client.search_runs(["0"], max_results=2, order_by=["metrics.acc DESC"])
    assert [r.data.metrics["acc"] for r in first] == [0.4, 0.3] and first.token
    rest = client.search_runs(["0"], max_results=10, order_by=["metrics.acc DESC"], page_token=first.token)
    assert {r.info.run_id for r in [*first, *rest]} == ids
    assert len(client.search_runs(["0"], "metrics.acc >= 0.3")) == 2


def test_get_parent_run(client, run_id):
    child = client.create_run("0", tags={"mlflow.parentRunId": run_id})
    assert client.get_parent_run(child.info.run_id).info.run_id == run_id
    assert client.get_parent_run(run_id) is None


def test_artifacts(client, run_id, tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("A")
    (src / "sub" / "b.txt").write_text("B")
    client.log_artifact(run_id, str(src / "a.txt"))
    client.log_artifact(run_id, str(src / "a.txt"), "copies")
    client.log_artifacts(run_id, str(src), "tree")
    client.log_text(run_id, "héllo", "notes/hello.txt")
    client.log_dict(run_id, {"a": [1, 2]}, "cfg.yaml")
    assert [f.path for f in client.list_artifacts(run_id)] == ["a.txt", "cfg.yaml", "copies", "notes", "tree"]
    assert [f.path for f in client.list_artifacts(run_id, "tree")] == ["tree/a.txt", "tree/sub"]
    local = client.download_artifacts(run_id, "tree", str(tmp_path / "dl"))
    assert Path(local, "sub", "b.txt").read_text() == "B"
    local = client.download_artifacts(run_id, "notes/hello.txt", str(tmp_path / "dl2"))
    assert Path(local).read_text(encoding="utf-8") == "héllo"
    import yaml

    local = client.download_artifacts(run_id, "cfg.yaml", str(tmp_path / "dl3"))
    assert yaml.safe_load(Path(local).read_text()) == {"a": [1, 2]}


def test_log_image_and_figure(client, run_id):
    pytest.importorskip("PIL")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    image = np.zeros((8, 8, 3), dtype=np.uint8)
    client.log_image(run_id, image, "img/static.png")
    client.log_image(run_id, image, key="train/sample", step=2)
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    client.log_figure(run_id, fig, "plots/line.png")
    client.log_figure(run_id, fig, "plots/line-hi.png", save_kwargs={"dpi": 50})
    plt.close(fig)
    assert [f.path for f in client.list_artifacts(run_id, "img")] == ["img/static.png"]
    [series] = client.list_artifacts(run_id, "images")
    assert series.path.startswith("images/train~sample+step+2+timestamp+") and series.path.endswith(".png")
    assert client.get_run(run_id).data.tags["mlflow.loggedImages"] == "True"
    assert {f.path for f in client.list_artifacts(run_id, "plots")} == {"plots/line.png", "plots/line-hi.png"}
    with pytest.raises(TypeError):
        client.log_image(run_id, image)


def test_runs_frame_shape(client):
    rid = client.create_run("0").info.run_id
    client.log_metric(rid, "m", 1.5)
    client.log_param(rid, "p", "x")
    other = client.create_run("0").info.run_id
    client.set_terminated(other)
    frame = runs_to_frame(client.search_runs(["0"], order_by=["attributes.start_time ASC"]))
    assert list(frame.columns[:6]) == ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    assert str(frame["start_time"].dtype).startswith("datetime64") and "UTC" in str(frame["start_time"].dtype)
    row = frame.set_index("run_id")
    assert row.loc[rid, "metrics.m"] == 1.5 and math.isnan(row.loc[other, "metrics.m"])
    assert row.loc[rid, "params.p"] == "x"
    assert pd.isna(row.loc[rid, "end_time"]) and not pd.isna(row.loc[other, "end_time"])
    assert frame["metrics.m"].dtype == np.float64
    empty = runs_to_frame([])
    assert list(empty.columns) == ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    assert len(empty) == 0
