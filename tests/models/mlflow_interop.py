"""What the boosting-flavor interop tests share: mlflow imported quietly (a module-scoped fixture)
and ``interop``, which ignores mlflow's own warnings, narrowly, on the tests that call mlflow."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

from tests.compat.mlflow_server import QUIET

_MLFLOW_WARNINGS = (
    # importing mlflow.pyfunc infers a schema from its agent type hints
    r"ignore:.*Any type hint is inferred as AnyType:UserWarning:mlflow\.types\.type_hints",
    # mlflow's dataset digest and example writer call pandas APIs deprecated in pandas 3
    r"ignore:Starting with pandas version 4\.0:pandas.errors.Pandas4Warning:mlflow",
    r"ignore:Operation with range is deprecated:pandas.errors.Pandas4Warning:mlflow\.models\.utils",
)


def interop(test: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a test that calls mlflow: mlflow's own warnings are not errors there."""
    for rule in _MLFLOW_WARNINGS:
        test = pytest.mark.filterwarnings(rule)(test)
    return test


@pytest.fixture(scope="module")
def mlflow() -> Iterator[ModuleType]:
    with pytest.MonkeyPatch.context() as mp:
        for name, value in QUIET.items():
            mp.setenv(name, value)
        module = importlib.import_module("mlflow")
        for flavor in ("mlflow.pyfunc", "mlflow.xgboost", "mlflow.lightgbm"):
            importlib.import_module(flavor)
        yield module
