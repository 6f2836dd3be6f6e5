"""The fluent API (``import runyard as mlflow``) against a real SQLite store."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import runyard
import runyard as mlflow
from runyard.entities import Dataset, Run
from runyard.errors import InvalidParameterValue, RunyardException
from runyard.fluent.tracking_uri import forget_client
from runyard.stores import factory

pytestmark = pytest.mark.usefixtures("tracking")


def test_issue_user_script(tmp_path):
    Path("predictions.csv").write_text("id,price\n1,100\n")
    Path("plots").mkdir()
    Path("plots", "residuals.txt").write_text("r")
    cfg = {"model": "rf", "features": ["a", "b"], "n": 3}

    mlflow.set_experiment("Housing Price Prediction")
    with mlflow.start_run(run_name="rf-nest-100-depth-6") as run:
        mlflow.log_param("n_estimators", 100)
        mlflow.log_params({"max_depth": 6, "random_state": 42})
        for epoch in range(10):
            mlflow.log_metric("loss", 1 / (epoch + 1), step=epoch)
        mlflow.log_metrics({"test_mse": 0.25, "test_r2": 0.81})
        mlflow.set_tag("team", "data-science")
        mlflow.set_tags({"purpose": "baseline"})
        mlflow.log_artifact("predictions.csv")
        mlflow.log_artifacts("plots", artifact_path="plots")
        mlflow.log_text("Translate this to English: 你好", "prompt.txt")
        mlflow.log_dict(cfg, "config.json")
        with mlflow.start_run(run_name="fold-1", nested=True) as child:
            mlflow.log_metric("fold_r2", 0.7)
    runs = mlflow.search_runs(experiment_names=["Housing Price Prediction"],
                              filter_string="metrics.test_r2 > 0.8 and params.max_depth = '6'",
                              order_by=["metrics.test_r2 DESC"])
    best = runs.loc[runs["metrics.test_r2"].idxmax()]
    history = runyard.tracking.MlflowClient().get_metric_history(run.info.run_id, "loss")

    assert len(runs) == 1 and best["run_id"] == run.info.run_id
    assert best["params.n_estimators"] == "100" and best["tags.team"] == "data-science"
    assert best["status"] == "FINISHED" and best["tags.mlflow.runName"] == "rf-nest-100-depth-6"
    assert [(m.step, m.value) for m in sorted(history, key=lambda m: m.step)] == [(e, 1 / (e + 1)) for e in range(10)]
    stored = mlflow.get_run(run.info.run_id)
    assert stored.data.metrics == {"loss": 0.1, "test_mse": 0.25, "test_r2": 0.81}
    assert stored.data.params == {"n_estimators": "100", "max_depth": "6", "random_state": "42"}
    assert stored.data.tags["mlflow.source.type"] == "LOCAL" and stored.data.tags["mlflow.user"]
    assert mlflow.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == run.info.run_id
    assert mlflow.get_parent_run(child.info.run_id).info.run_id == run.info.run_id
    prefix = f"runs:/{run.info.run_id}"
    assert mlflow.artifacts.load_text(f"{prefix}/prompt.txt") == "Translate this to English: 你好"
    assert mlflow.artifacts.load_dict(f"{prefix}/config.json") == cfg
    paths = [f.path for f in mlflow.artifacts.list_artifacts(run_id=run.info.run_id)]
    assert paths == ["config.json", "plots", "predictions.csv", "prompt.txt"]
    local = mlflow.artifacts.download_artifacts(f"{prefix}/plots", dst_path=str(tmp_path / "out"))
    assert Path(local, "residuals.txt").read_text() == "r"


def test_exception_in_with_block_fails_run():
    with pytest.raises(ValueError):
        with mlflow.start_run() as run:
            raise ValueError("boom")
    assert mlflow.get_run(run.info.run_id).info.status == "FAILED"
    assert mlflow.active_run() is None
    assert mlflow.last_active_run().info.run_id == run.info.run_id


def test_active_run_is_a_run_and_last_active_run():
    assert mlflow.last_active_run() is None
    run = mlflow.start_run()
    assert isinstance(run, Run) and run.info.status == "RUNNING"
    assert mlflow.active_run() is run and mlflow.last_active_run() is run
    mlflow.end_run()
    last = mlflow.last_active_run()
    assert last.info.run_id == run.info.run_id and last.info.status == "FINISHED"


def test_second_run_needs_nested():
    with mlflow.start_run() as outer:
        with pytest.raises(RunyardException, match=f"Run with UUID {outer.info.run_id} is already active"):
            mlflow.start_run()
        with mlflow.start_run(nested=True) as inner:
            assert mlflow.active_run() is inner
        assert mlflow.active_run() is outer
    assert mlflow.get_run(inner.info.run_id).info.status == "FINISHED"


def test_parent_run_id_and_description_and_tags():
    with mlflow.start_run() as parent:
        pass
    with mlflow.start_run(parent_run_id=parent.info.run_id, tags={"k": 1}, description="note") as child:
        pass
    tags = mlflow.get_run(child.info.run_id).data.tags
    assert tags["mlflow.parentRunId"] == parent.info.run_id
    assert tags["k"] == "1" and tags["mlflow.note.content"] == "note"


def test_logging_without_run_starts_one():
    mlflow.log_metric("x", 1.0)
    run = mlflow.active_run()
    assert run is not None
    mlflow.end_run()
    assert mlflow.get_run(run.info.run_id).data.metrics == {"x": 1.0}


def test_resume_by_run_id_and_env(monkeypatch):
    with mlflow.start_run() as run:
        pass
    with mlflow.start_run(run_id=run.info.run_id) as resumed:
        assert mlflow.get_run(run.info.run_id).info.status == "RUNNING"
        mlflow.log_param("p", 1)
    assert resumed.info.run_id == run.info.run_id
    monkeypatch.setenv("MLFLOW_RUN_ID", run.info.run_id)
    with mlflow.start_run() as from_env:
        mlflow.log_param("q", 2)
    assert from_env.info.run_id == run.info.run_id
    assert mlflow.get_run(run.info.run_id).data.params == {"p": "1", "q": "2"}


def test_param_change_is_rejected():
    with mlflow.start_run():
        assert mlflow.log_param("lr", 0.1) == 0.1
        with pytest.raises(InvalidParameterValue):
            mlflow.log_param("lr", 0.2)


def test_set_experiment_rules(monkeypatch):
    exp = mlflow.set_experiment("e1")
    assert mlflow.set_experiment("e1").experiment_id == exp.experiment_id
    assert mlflow.set_experiment(experiment_id=exp.experiment_id).name == "e1"
    with mlflow.start_run() as run:
        pass
    assert run.info.experiment_id == exp.experiment_id
    with pytest.raises(InvalidParameterValue):
        mlflow.set_experiment()
    mlflow.delete_experiment(exp.experiment_id)
    with pytest.raises(InvalidParameterValue, match="deleted experiment"):
        mlflow.set_experiment("e1")


def test_experiment_from_environment(monkeypatch):
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "from-env")
    with mlflow.start_run() as run:
        pass
    assert mlflow.get_experiment(run.info.experiment_id).name == "from-env"
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME")
    with mlflow.start_run() as default_run:
        pass
    assert default_run.info.experiment_id == "0"


def test_search_runs_list_and_all_experiments():
    mlflow.set_experiment("a")
    with mlflow.start_run() as run_a:
        mlflow.log_metric("m", 1)
    mlflow.set_experiment("b")
    with mlflow.start_run() as run_b:
        mlflow.log_metric("m", 2)
    runs = mlflow.search_runs(output_format="list")
    assert [r.info.run_id for r in runs] == [run_b.info.run_id]
    every = mlflow.search_runs(search_all_experiments=True, order_by=["metrics.m ASC"])
    assert list(every["run_id"]) == [run_a.info.run_id, run_b.info.run_id]
    assert len(mlflow.search_runs(experiment_names=["nope"])) == 0
    with pytest.raises(InvalidParameterValue):
        mlflow.search_runs(experiment_ids=["1"], experiment_names=["a"])
    names = {e.name for e in mlflow.search_experiments()}
    assert {"a", "b", "Default"} <= names
    assert mlflow.get_experiment_by_name("missing") is None


def test_worker_thread_logs_to_main_run_and_owns_its_runs():
    seen: dict[str, str] = {}

    def worker() -> None:
        seen["active"] = mlflow.active_run().info.run_id
        mlflow.log_metric("from_thread", 1.0)
        mlflow.end_run()  # a worker never ends the main thread's run
        with mlflow.start_run(nested=True) as child:
            seen["child"] = child.info.run_id
        with mlflow.start_run() as own:
            seen["own"] = own.info.run_id

    with mlflow.start_run() as run:
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert mlflow.active_run() is run
    assert seen["active"] == run.info.run_id
    assert mlflow.get_run(run.info.run_id).data.metrics == {"from_thread": 1.0}
    assert mlflow.get_run(seen["child"]).data.tags["mlflow.parentRunId"] == run.info.run_id
    assert "mlflow.parentRunId" not in mlflow.get_run(seen["own"]).data.tags


def test_log_input_and_artifact_uri():
    ds = Dataset(name="train", digest="d1", source_type="local", source='{"uri": "/data"}')

    class Duck:
        name, digest, source_type, source = "duck", "d2", "code", {"x": 1}
        schema, profile = {"cols": ["a"]}, None

    with mlflow.start_run() as run:
        mlflow.log_input(ds, context="training")
        mlflow.log_input(Duck(), tags={"k": "v"})
        uri = mlflow.get_artifact_uri("model")
    inputs = mlflow.get_run(run.info.run_id).inputs.dataset_inputs
    by_name = {i.dataset.name: i for i in inputs}
    assert {t.key: t.value for t in by_name["train"].tags} == {"mlflow.data.context": "training"}
    assert by_name["duck"].dataset.source == '{"x": 1}'
    assert uri == run.info.artifact_uri + "/model"


def test_figure_and_image_smoke():
    np = pytest.importorskip("numpy")
    pytest.importorskip("PIL")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    with mlflow.start_run() as run:
        mlflow.log_figure(fig, "fig.png")
        mlflow.log_image(np.full((4, 4, 3), 255, dtype=np.uint8), "white.png")
    plt.close(fig)
    image = mlflow.artifacts.load_image(f"runs:/{run.info.run_id}/white.png")
    assert image.size == (4, 4)
    paths = [f.path for f in mlflow.MlflowClient().list_artifacts(run.info.run_id)]
    assert paths == ["fig.png", "white.png"]


def test_tracking_uri_functions(tracking):
    assert mlflow.get_tracking_uri() == tracking and mlflow.is_tracking_uri_set()
    assert runyard.tracking.get_tracking_uri() == tracking
    assert mlflow.__version__ == "0.1.0"
    assert mlflow.exceptions.MlflowException is mlflow.MlflowException


def test_exit_ends_open_runs_and_flushes_queue(tmp_path, tracking):
    import subprocess
    import sys

    script = (
        "import runyard as mlflow\n"
        f"mlflow.set_tracking_uri({tracking!r})\n"
        "run = mlflow.start_run()\n"
        "mlflow.start_run(nested=True)\n"
        "for i in range(1000):\n"
        "    mlflow.log_metric('m', float(i), step=i, synchronous=False)\n"
        "print(run.info.run_id)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path)
    run_id = out.stdout.strip()
    factory.clear_cache()
    forget_client()
    client = mlflow.MlflowClient()
    assert client.get_run(run_id).info.status == "FINISHED"
    [child] = client.search_runs(["0"], f"tags.mlflow.parentRunId = '{run_id}'")
    assert child.info.status == "FINISHED"
    assert len(client.get_metric_history(child.info.run_id, "m")) == 1000


def test_plain_directory_tracking_uri(tmp_path):
    mlflow.set_tracking_uri(str(tmp_path / "store"))
    assert mlflow.get_tracking_uri() == f"sqlite:///{tmp_path / 'store' / 'runyard.db'}"
