"""The evaluation data: features for the model, targets, and optionally a column of predictions,
checked once (every error names the argument at fault)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from runyard.errors import InvalidParameterValue


@dataclass(frozen=True)
class EvaluationData:
    """Checked evaluation data. ``features`` is what the model is given (a DataFrame, or the 2-D
    array as passed); ``frame`` is the whole table the dataset input describes."""

    features: Any
    targets: np.ndarray
    predictions: np.ndarray | None
    frame: pd.DataFrame | None
    feature_names: list[str]
    targets_name: str

    @property
    def example_count(self) -> int:
        return len(self.targets)


def _column(frame: pd.DataFrame, name: Any, field: str) -> np.ndarray:
    if not isinstance(name, str):
        raise InvalidParameterValue(f"{field} must name a column of the DataFrame `data` when data is a DataFrame; "
                                    f"got {type(name).__name__}")
    if name not in frame.columns:
        raise InvalidParameterValue(f"The DataFrame `data` has no {field} column {name!r} "
                                    f"(columns: {', '.join(map(str, frame.columns))})")
    return frame[name].to_numpy()


def _labels(values: Any, rows: int) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise InvalidParameterValue(f"targets must be 1-D; got an array of shape {array.shape}")
    if len(array) != rows:
        raise InvalidParameterValue(f"targets has {len(array)} values but data has {rows} rows")
    return array


def _from_frame(frame: pd.DataFrame, targets: Any, predictions: Any, feature_names: Sequence[str] | None,
                ) -> EvaluationData:
    # MLflow wants a column name here; an array of labels beside a frame of features is taken too.
    named = isinstance(targets, str)
    target_values = _column(frame, targets, "targets") if named else _labels(targets, len(frame))
    predicted = _column(frame, predictions, "predictions") if predictions is not None else None
    if feature_names is not None:
        missing = [name for name in feature_names if name not in frame.columns]
        if missing:
            raise InvalidParameterValue(f"feature_names names columns that `data` lacks: {missing}")
        names = list(feature_names)
    else:
        names = [column for column in frame.columns if column not in (targets if named else None, predictions)]
    return EvaluationData(frame[names], target_values, predicted, frame, [str(name) for name in names],
                          targets if named else "target")


def _from_array(data: Any, targets: Any, predictions: Any, feature_names: Sequence[str] | None) -> EvaluationData:
    if predictions is not None:
        raise InvalidParameterValue("predictions names a column of `data`, so it needs `data` to be a pandas "
                                    "DataFrame; pass the model instead, or a DataFrame with a predictions column")
    features = np.asarray(data)
    if features.ndim != 2:
        raise InvalidParameterValue(f"data must be 2-D (rows of features); got an array of shape {features.shape}")
    if isinstance(targets, str):
        raise InvalidParameterValue("targets must be an array of labels when data is an array or a list; a column "
                                    "name needs `data` to be a pandas DataFrame")
    target_values = _labels(targets, len(features))
    names = [f"feature_{index + 1}" for index in range(features.shape[1])]
    if feature_names is not None:
        if len(feature_names) != features.shape[1]:
            raise InvalidParameterValue(f"feature_names has {len(feature_names)} names but data has "
                                        f"{features.shape[1]} columns")
        names = [str(name) for name in feature_names]
    data_as_given = data if isinstance(data, np.ndarray) else features
    return EvaluationData(data_as_given, target_values, None, None, names, "target")


def prepare_data(data: Any, targets: Any, predictions: Any, feature_names: Sequence[str] | None,
                 ) -> EvaluationData:
    """Check ``data`` with its ``targets`` and ``predictions`` and split out the features."""
    if data is None:
        raise InvalidParameterValue("data is required: a pandas DataFrame, a numpy array or a list of rows")
    if targets is None:
        raise InvalidParameterValue("targets is required for model_type 'regressor' and 'classifier': a column "
                                    "name of the DataFrame `data`, or an array of labels")
    if feature_names is not None and (isinstance(feature_names, str) or not isinstance(feature_names, Sequence)):
        raise InvalidParameterValue("feature_names must be a list of names")
    if isinstance(data, pd.DataFrame):
        return _from_frame(data, targets, predictions, feature_names)
    if isinstance(data, (np.ndarray, list, tuple)):
        return _from_array(data, targets, predictions, feature_names)
    raise InvalidParameterValue(f"data must be a pandas DataFrame, a numpy array or a list of rows; "
                                f"got {type(data).__name__}")


def as_labels(values: Any, count: int, field: str = "predictions") -> np.ndarray:
    """Model output as one value per row (a one-column table or array is flattened)."""
    if isinstance(values, pd.DataFrame):
        values = values.to_numpy()
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise InvalidParameterValue(f"{field} must hold one value per row; the model returned shape {array.shape}")
    if len(array) != count:
        raise InvalidParameterValue(f"{field} has {len(array)} values for {count} rows of data")
    return array
