"""``spark_udf``: a pyfunc model as a Spark pandas UDF, for batch scoring across a cluster.

On the driver the model directory (already local: the facade resolves URIs) is staged under a
unique name and added to the SparkContext, which ships it to every executor; each Python worker
loads it once (``spark_scoring``). The result type is checked and the params are validated on the
driver, so a mistake fails before any task runs.

pyspark is imported inside the functions, so importing ``runyard.pyfunc`` does not load it.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from typing import Any

import yaml

from runyard.errors import InvalidParameterValue
from runyard.flavors.spark_results import check_result_type, result_type_from_schema
from runyard.flavors.spark_scoring import UdfJob, score_batch
from runyard.models.model import Model, local_model_path
from runyard.models.param_schema import enforce_params
from runyard.models.pyfunc import FLAVOR_NAME
from runyard.models.schema import Schema


def check_environment(env_manager: str | None, prebuilt_env_uri: str | None) -> None:
    """Refuse, before anything is downloaded, the environment options runyard cannot honour yet."""
    if prebuilt_env_uri is not None:
        raise InvalidParameterValue(
            "spark_udf: prebuilt_env_uri is not supported by runyard (it needs Databricks); leave it unset and "
            "install the model's requirements on the executors")
    if env_manager not in (None, "local"):
        raise InvalidParameterValue(
            f"spark_udf: env_manager={env_manager!r} is not supported for Spark yet; use env_manager='local' "
            "(the executors' Python environment must provide the model's requirements)")


def spark_udf(spark: Any, local_path: str, result_type: Any = None, params: dict[str, Any] | None = None,
              extra_env: dict[str, str] | None = None, model_config: Any = None) -> Callable[..., Any]:
    """A pandas UDF that scores the model directory at ``local_path``; call it with column names,
    Columns or one struct, or with no arguments to use the signature's input names."""
    try:
        from pyspark.sql.functions import pandas_udf
    except ImportError:
        raise InvalidParameterValue("spark_udf needs pyspark: pip install 'runyard[spark]'") from None
    path = local_model_path(os.fspath(local_path))
    meta = Model.load(path)
    if FLAVOR_NAME not in meta.flavors:
        raise InvalidParameterValue(
            f'spark_udf: the model has no "{FLAVOR_NAME}" flavor (it has: {", ".join(sorted(meta.flavors))})')
    spark_type = _result_type(result_type, meta)
    params = enforce_params(params, meta.get_params_schema())
    if extra_env is not None and not all(isinstance(k, str) and isinstance(v, str) for k, v in extra_env.items()):
        raise InvalidParameterValue("spark_udf: extra_env must map names to string values")
    job = UdfJob(_ship(spark, path), spark_type, params, _model_config(model_config), extra_env)
    return _callable_udf(job, meta.get_input_schema(), pandas_udf)


def _result_type(result_type: Any, meta: Model) -> Any:
    from pyspark.sql.types import DataType

    if result_type is None:
        spark_type = result_type_from_schema(meta.get_output_schema())
    elif isinstance(result_type, str):
        spark_type = _parse_ddl(result_type)
    elif isinstance(result_type, DataType):
        spark_type = result_type
    else:
        raise InvalidParameterValue(
            f"spark_udf: result_type must be a pyspark DataType or a DDL string such as 'double' or "
            f"'array<double>', got {type(result_type).__name__}")
    check_result_type(spark_type)
    return spark_type


def _parse_ddl(text: str) -> Any:
    from pyspark.sql import types as T

    ddl = "boolean" if text.strip().lower() == "bool" else text
    try:
        if hasattr(T.DataType, "fromDDL"):  # pyspark 4
            return T.DataType.fromDDL(ddl)
        return T._parse_datatype_string(ddl)  # pyspark 3.5 has no public parser
    except Exception as exc:  # noqa: BLE001 - pyspark raises its own ParseException family
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidParameterValue(f"spark_udf: result_type {text!r} is not a Spark type: {message}") from None


def _model_config(model_config: Any) -> dict[str, Any] | None:
    """``model_config`` as a dict: given as one, or as the path of a YAML or JSON file."""
    if model_config is None or isinstance(model_config, dict):
        return model_config
    if isinstance(model_config, (str, os.PathLike)):
        with open(model_config, encoding="utf-8") as stream:
            loaded = yaml.safe_load(stream)
        if isinstance(loaded, dict):
            return loaded
    raise InvalidParameterValue(
        f"spark_udf: model_config must be a dict or the path of a YAML/JSON mapping, got {model_config!r}")


def _ship(spark: Any, path: str) -> str:
    """Stage the model under a unique name and add it to the SparkContext; returns that name."""
    try:
        context = spark.sparkContext
    except Exception:  # noqa: BLE001 - Spark Connect sessions raise on this attribute
        context = None
    if context is None:
        raise InvalidParameterValue("spark_udf needs a classic SparkSession (Spark Connect is not supported yet)")
    staging = tempfile.mkdtemp(prefix="runyard-spark-udf-")
    atexit.register(shutil.rmtree, staging, True)
    name = f"runyard-model-{uuid.uuid4().hex}"
    # SparkContext files are keyed by their base name, so each UDF's copy gets a name of its own;
    # hard links make the copy free where the filesystem allows them.
    shutil.copytree(path, os.path.join(staging, name), copy_function=_link_or_copy)
    context.addFile(os.path.join(staging, name), recursive=True)
    return name


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _callable_udf(job: UdfJob, schema: Schema | None, pandas_udf: Any) -> Callable[..., Any]:
    base = _pandas_udf(job, pandas_udf)

    def predict(*columns: Any) -> Any:
        if not columns:
            columns = _signature_columns(schema)
        names = _names_if_signature_inputs(columns, schema)
        udf = base if names is None else _pandas_udf(dataclasses.replace(job, input_names=names), pandas_udf)
        return udf(*columns)

    # Look like the pandas UDF (returnType, evalType, func...), so spark.udf.register accepts it.
    return functools.update_wrapper(predict, base)


def _pandas_udf(job: UdfJob, pandas_udf: Any) -> Any:
    import typing

    import pandas as pd

    def score(*columns: Any) -> Any:
        return score_batch(columns, job)

    # pyspark picks the kind of pandas UDF (here: scalar, Series or struct DataFrame in and out) from
    # the type hints, so they must be real objects, not the strings postponed annotations leave.
    result = pd.DataFrame if job.result_type.typeName() == "struct" else pd.Series
    score.__annotations__ = {"columns": typing.Union[pd.Series, pd.DataFrame], "return": result}
    return pandas_udf(score, returnType=job.result_type)


def _signature_columns(schema: Schema | None) -> tuple[str, ...]:
    """The columns a UDF called with no arguments reads: the signature's input names."""
    if schema is None or not schema.has_input_names():
        raise InvalidParameterValue(
            "spark_udf: the UDF was called with no columns and the model's signature names no inputs; "
            "pass the columns, e.g. udf('x', 'y') or udf(struct('x', 'y'))")
    if schema.optional_input_names():
        raise InvalidParameterValue(
            "spark_udf: the UDF was called with no columns and the model's signature has optional inputs "
            f"{schema.optional_input_names()}; pass the columns to use")
    return tuple(str(name) for name in schema.input_names())


def _names_if_signature_inputs(columns: tuple[Any, ...], schema: Schema | None) -> tuple[str, ...] | None:
    """The column names themselves when every argument is a column named like a signature input (so
    their order does not matter); None otherwise, and the arguments map to the inputs in order."""
    if schema is None or not schema.has_input_names() or not all(isinstance(c, str) for c in columns):
        return None
    inputs = {str(name) for name in schema.input_names()}
    if len(set(columns)) != len(columns) or not set(columns) <= inputs:
        return None
    return tuple(columns)
