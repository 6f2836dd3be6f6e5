"""Where an evaluation's results go: the active run (left open) or a run started for it (ended
after); metrics under their (prefixed) names, files at the run's artifact root, and the
evaluation data as a dataset input of the run."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from runyard import config as settings
from runyard import uris
from runyard.autologging.datasets import training_input
from runyard.entities import Dataset, DatasetInput
from runyard.evaluation.artifacts import EvaluationArtifact, artifact_for_file
from runyard.evaluation.data import EvaluationData
from runyard.fluent.logging import log_artifact, log_metrics
from runyard.fluent.runs import active_run, end_run, start_run
from runyard.fluent.tracking_uri import current_client
from runyard.models.inference import infer_schema


@contextmanager
def evaluation_run() -> Iterator[Any]:
    """The active run; or a new run, ended when the evaluation ends (FAILED if it raised)."""
    run = active_run()
    if run is not None:
        yield run
        return
    run = start_run()
    try:
        yield run
    except BaseException:
        end_run("FAILED")
        raise
    end_run()


def _source() -> str:
    return json.dumps({"tags": {"mlflow.user": settings.current_user(),
                                "mlflow.source.name": sys.argv[0] if sys.argv and sys.argv[0] else "<console>",
                                "mlflow.source.type": "LOCAL"}})


def _frame_dataset(frame: pd.DataFrame) -> Dataset:
    digest = hashlib.md5(usedforsecurity=False)
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(repr(list(frame.columns)).encode())
    return Dataset(name="dataset", digest=digest.hexdigest()[:8], source_type="code", source=_source(),
                   schema=json.dumps({"mlflow_colspec": infer_schema(frame).to_dict()}),
                   profile=json.dumps({"num_rows": len(frame), "num_elements": int(frame.size)}))


def dataset_of(data: EvaluationData) -> Dataset | None:
    """The dataset entity describing the evaluation data (the whole table, targets included)."""
    if data.frame is not None:
        return _frame_dataset(data.frame)
    recorded = training_input(data.features, data.targets)
    return recorded.dataset if recorded is not None else None


def record(run: Any, metrics: dict[str, float], files: dict[str, Path], dataset: Dataset | None,
           model_id: str | None) -> dict[str, EvaluationArtifact]:
    """Log the dataset input, the metrics and the files to ``run``; the files as artifacts."""
    run_id = run.info.run_id
    if dataset is not None:
        # MLflow records its evaluation dataset with no context tag.
        current_client().log_inputs(run_id, [DatasetInput(dataset, ())])
    if metrics:
        log_metrics(metrics, run_id=run_id, model_id=model_id, dataset=dataset if model_id else None)
    artifacts: dict[str, EvaluationArtifact] = {}
    for name, path in files.items():
        log_artifact(str(path), run_id=run_id)
        artifacts[name] = artifact_for_file(uris.append_to_uri_path(run.info.artifact_uri, path.name), str(path))
    return artifacts
