"""Datasets and fitted models shared by the evaluation tests (small, deterministic, fitted once)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import runyard

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Case:
    """A fitted model with its evaluation data (features ``X``, targets ``y``, and both in ``frame``)."""

    model: Any
    X: pd.DataFrame
    y: pd.Series
    frame: pd.DataFrame
    target: str


def _case(loader: Any, estimator: Any, target: str) -> Case:
    X, y = loader(return_X_y=True, as_frame=True)
    model = estimator.fit(X, y)
    frame = X.copy()
    frame[target] = y
    return Case(model, X, y, frame, target)


@pytest.fixture(scope="session")
def diabetes() -> Case:
    return _case(load_diabetes, LinearRegression(), "target")


@pytest.fixture(scope="session")
def cancer() -> Case:
    return _case(load_breast_cancer, make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)), "label")


@pytest.fixture(scope="session")
def iris() -> Case:
    return _case(load_iris, LogisticRegression(max_iter=1000), "label")


def artifact_files(run_id: str) -> dict[str, bytes]:
    """Every artifact file of the run (path -> content), read back through the client."""
    client = runyard.MlflowClient()
    files: dict[str, bytes] = {}
    pending = [None]
    while pending:
        for info in client.list_artifacts(run_id, pending.pop()):
            if info.is_dir:
                pending.append(info.path)
            else:
                files[info.path] = Path(client.download_artifacts(run_id, info.path)).read_bytes()
    return files
