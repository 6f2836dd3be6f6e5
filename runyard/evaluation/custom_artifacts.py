"""Custom artifacts: each function of ``evaluate(custom_artifacts=[...])`` is called as
``fn(eval_df, builtin_metrics, artifacts_dir)`` and returns name -> value, where a value is a path
to a file, a DataFrame (CSV), a matplotlib figure or PIL image (PNG), a numpy array (.npy) or
anything JSON can hold; each becomes a file to log."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from runyard.errors import InvalidParameterValue


def _is_figure(value: Any) -> bool:
    return type(value).__module__.startswith("matplotlib") and hasattr(value, "savefig")


def _is_image(value: Any) -> bool:
    return type(value).__module__.startswith("PIL") and hasattr(value, "save")


def write_value(name: str, value: Any, directory: Path) -> Path:
    """Write ``value`` as the file ``name`` + a suffix for its kind; returns the file's path."""
    if isinstance(value, (str, os.PathLike)) and os.path.isfile(value):
        target = directory / f"{name}{Path(value).suffix}"
        shutil.copyfile(value, target)
    elif isinstance(value, pd.DataFrame):
        target = directory / f"{name}.csv"
        value.to_csv(target, index=False)
    elif _is_figure(value):
        target = directory / f"{name}.png"
        value.savefig(target, format="png")
    elif _is_image(value):
        target = directory / f"{name}.png"
        value.save(target, format="PNG")
    elif isinstance(value, np.ndarray):
        target = directory / f"{name}.npy"
        np.save(target, value, allow_pickle=False)
    else:
        target = directory / f"{name}.json"
        try:
            target.write_text(json.dumps(value), encoding="utf-8")
        except TypeError:
            raise InvalidParameterValue(f"custom_artifacts: artifact {name!r} is a {type(value).__name__}; return a "
                                        f"file path, a DataFrame, a figure, an image, an array or JSON") from None
    return target


def run_custom_artifacts(functions: Sequence[Callable[..., Any]], predictions: np.ndarray, targets: np.ndarray,
                         metrics: dict[str, Any], directory: Path, prefix: str) -> dict[str, Path]:
    """Artifact name -> written file, for every function's artifacts (file names get ``prefix``)."""
    written: dict[str, Path] = {}
    for function in functions:
        if not callable(function):
            raise InvalidParameterValue(f"custom_artifacts must hold functions; got {type(function).__name__}")
        scratch = directory / f"custom-{len(written)}-{getattr(function, '__name__', 'fn')}"
        scratch.mkdir(parents=True, exist_ok=True)
        eval_df = pd.DataFrame({"prediction": predictions, "target": targets})
        produced = function(eval_df, metrics, str(scratch))
        if not isinstance(produced, dict):
            raise InvalidParameterValue(f"custom_artifacts: {getattr(function, '__name__', function)!r} must return "
                                        f"a dict of artifact name -> value; got {type(produced).__name__}")
        for name, value in produced.items():
            written[str(name)] = write_value(f"{prefix}{name}", value, directory)
    return written


def results_table(frame: pd.DataFrame, targets_name: str, targets: np.ndarray, predictions: np.ndarray,
                  scores: dict[str, list[Any]], path: Path) -> Path:
    """The per-row table of a run with row-scored custom metrics: features, targets, outputs,
    and a ``<metric>/score`` column per metric (JSON, pandas' split layout without the index)."""
    table = frame.reset_index(drop=True).copy()
    table[targets_name] = targets
    table["outputs"] = predictions
    for name, values in scores.items():
        table[name] = values
    table.to_json(path, orient="split", index=False)
    return path
