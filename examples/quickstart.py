"""The tracking quickstart: an ordinary MLflow script with only the import changed.

Logs a run (params, a metric history, tags, artifacts, a nested run) to the embedded default
store (``runyard.db`` and ``runyard-artifacts/`` in the working directory), then searches for
the best run and reads back the loss history.
"""

import tempfile
from pathlib import Path

import runyard
import runyard as mlflow


def write_inputs(folder: Path) -> None:
    """The files the script logs as artifacts: a predictions table and a folder of plots."""
    (folder / "predictions.csv").write_text("id,prediction\n1,210000.0\n2,185500.0\n3,342000.0\n")
    plots = folder / "plots"
    plots.mkdir()
    (plots / "residuals.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>\n')
    (plots / "notes.txt").write_text("residuals look unbiased\n")


def main() -> None:
    cfg = {"model": "random_forest", "n_estimators": 100, "max_depth": 6}
    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp)
        write_inputs(inputs)

        mlflow.set_experiment("Housing Price Prediction")
        with mlflow.start_run(run_name="rf-nest-100-depth-6") as run:
            mlflow.log_param("n_estimators", 100)
            mlflow.log_params({"max_depth": 6, "random_state": 42})
            for epoch in range(10):
                mlflow.log_metric("loss", 1 / (epoch + 1), step=epoch)
            mlflow.log_metrics({"test_mse": 0.25, "test_r2": 0.81})
            mlflow.set_tag("team", "data-science")
            mlflow.set_tags({"purpose": "baseline"})
            mlflow.log_artifact(str(inputs / "predictions.csv"))
            mlflow.log_artifacts(str(inputs / "plots"), artifact_path="plots")
            mlflow.log_text("Translate this to English: 你好", "prompt.txt")
            mlflow.log_dict(cfg, "config.json")
            with mlflow.start_run(run_name="fold-1", nested=True):
                mlflow.log_metric("fold_r2", 0.79)

    runs = mlflow.search_runs(
        experiment_names=["Housing Price Prediction"],
        filter_string="metrics.test_r2 > 0.8 and params.max_depth = '6'",
        order_by=["metrics.test_r2 DESC"],
    )
    best = runs.loc[runs["metrics.test_r2"].idxmax()]
    history = runyard.tracking.MlflowClient().get_metric_history(run.info.run_id, "loss")

    print(f"tracking URI: {mlflow.get_tracking_uri()}")
    print(f"matching runs: {len(runs)}")
    print(f"best run: {best['run_id']} ({best['tags.mlflow.runName']}) "
          f"test_r2={best['metrics.test_r2']} max_depth={best['params.max_depth']}")
    print("loss history: " + ", ".join(f"step {m.step}: {m.value:.3f}" for m in history))
    print(f"artifacts: {run.info.artifact_uri}")


if __name__ == "__main__":
    main()
