"""The executor side of ``spark_udf``: each Python worker loads the shipped model once (a module-level
cache keyed by its local path, kept across batches and tasks while Spark reuses the worker), turns
each Arrow batch into the model's input and its predictions into the UDF's result type.

The UDF is a scalar pandas UDF, not an iterator one: thanks to the cache it loads no more often, and
Spark evaluates several scalar UDFs of one query in one Python worker, where each iterator UDF would
get a worker (and a copy of its model) of its own.

Input columns passed one by one are named after the model's signature inputs, in order (MLflow's
rule), or after the columns themselves when the UDF was called with the signature's own names; a
struct column arrives as a DataFrame with the struct's field names. Array columns feed tensor
inputs, reshaped to the tensor's shape and cast to its dtype.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from runyard.errors import InvalidParameterValue
from runyard.flavors.loading import load_pyfunc
from runyard.flavors.spark_results import empty_result, to_spark_result
from runyard.models.pyfunc import PyFuncModel
from runyard.models.schema import Schema

_MODELS: dict[str, PyFuncModel] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class UdfJob:
    """What every task of one UDF needs; pickled with the UDF and sent to the executors."""

    model_file: str  # the model directory's name among the files added to the SparkContext
    result_type: Any  # a pyspark DataType
    params: dict[str, Any] | None = None
    model_config: dict[str, Any] | None = None
    extra_env: dict[str, str] | None = None
    input_names: tuple[Any, ...] | None = None  # names of the UDF's arguments; None: the signature's


def worker_model(job: UdfJob) -> PyFuncModel:
    """The job's model, loaded on this worker the first time it is asked for."""
    from pyspark import SparkFiles

    path = SparkFiles.get(job.model_file)
    with _LOCK:
        model = _MODELS.get(path)
        if model is None:
            if not os.path.isdir(path):
                raise InvalidParameterValue(f"spark_udf: the model was not shipped to this executor (no {path!r})")
            model = _MODELS[path] = load_pyfunc(path, job.model_config)
    return model


def score_batch(columns: tuple[Any, ...], job: UdfJob) -> Any:
    """Predictions for one Arrow batch: the UDF's argument columns (Series, or a DataFrame for a
    struct), all of the same length."""
    rows = len(columns[0])
    if rows == 0:
        return empty_result(job.result_type)
    with _environment(job.extra_env):
        model = worker_model(job)
        data = model_input(columns, model.metadata.get_input_schema(), job.input_names)
        return to_spark_result(model.predict(data, params=job.params), job.result_type, rows)


@contextmanager
def _environment(extra_env: dict[str, str] | None) -> Iterator[None]:
    """``extra_env`` set in the worker while the model loads and predicts, then restored."""
    saved = {name: os.environ.get(name) for name in extra_env or {}}
    os.environ.update(extra_env or {})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def model_input(columns: tuple[Any, ...], schema: Schema | None, names: tuple[Any, ...] | None) -> Any:
    """The UDF's argument columns as the model's input."""
    import pandas as pd

    if len(columns) == 1 and isinstance(columns[0], pd.DataFrame):
        frame = columns[0].reset_index(drop=True)
        if schema is not None and schema.is_tensor_spec():
            return _tensors([frame[c] for c in frame.columns], tuple(frame.columns), schema)
        return frame
    if names is None:
        names = _signature_names(len(columns), schema)
        columns = columns[:len(names)]  # MLflow drops arguments beyond the signature's inputs
    if schema is not None and schema.is_tensor_spec():
        return _tensors(list(columns), names, schema)
    return pd.DataFrame({name: column.reset_index(drop=True) for name, column in zip(names, columns)},
                        columns=list(names))


def _signature_names(count: int, schema: Schema | None) -> tuple[Any, ...]:
    if schema is None:
        return tuple(range(count))
    names = schema.input_names()
    required = schema.required_input_names()
    if count < len(required):
        raise InvalidParameterValue(
            f"spark_udf: the model needs {len(required)} input columns {required} but the UDF got {count}; "
            "unnamed arguments map to the signature's inputs in order")
    return tuple(names[:count])


def _tensors(columns: list[Any], names: tuple[Any, ...], schema: Schema) -> Any:
    """Array columns as the tensors of a tensor signature (each row's values in C order)."""
    specs = {spec.name: spec for spec in schema.inputs} if schema.has_input_names() else None
    arrays = {}
    for position, (name, column) in enumerate(zip(names, columns)):
        spec = specs.get(name) if specs is not None else schema.inputs[min(position, len(schema.inputs) - 1)]
        if spec is None:
            continue  # not an input of the model; enforcement reports the ones that are missing
        rows = [np.asarray(v) for v in column]
        try:
            stacked = np.stack(rows) if rows and rows[0].ndim else np.asarray(column.to_numpy())
            arrays[name] = stacked.reshape((len(rows), *spec.shape[1:])).astype(spec.type, copy=False)
        except ValueError as exc:
            raise InvalidParameterValue(
                f"spark_udf: column {name!r} cannot be shaped as the model's tensor {spec!r}: {exc}") from None
    if specs is None and len(arrays) == 1:
        return next(iter(arrays.values()))
    return arrays
