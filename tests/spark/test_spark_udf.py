"""``runyard.pyfunc.spark_udf`` on a local Spark: predictions equal ``load_model(uri).predict`` on
the same rows, for models from runs, the registry, custom models and models saved by mlflow."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import runyard
import runyard.pyfunc
import runyard.sklearn
from runyard.errors import InvalidParameterValue
from runyard.models import infer_signature
from runyard.models.schema import Schema, TensorSpec
from runyard.models.signature import ModelSignature
from tests.compat.mlflow_server import QUIET
from tests.models.mlflow_interop import interop
from tests.spark.models import Labeller, LoadCounter, TensorSum

# pyspark's collect() leaves its loopback result socket for the garbage collector to close.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:Exception ignored in. <socket.socket fd=\d+, family=2, type=1, proto=6, laddr=\('127.0.0.1'"
    ":pytest.PytestUnraisableExceptionWarning")


def _features(rows: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(rng.normal(size=(rows, 3)), columns=["a", "b", "c"])


def _scores(frame, column):
    """The values of ``column`` (a UDF call) over ``frame``, in row order.

    One UDF per job: Spark gives each iterator pandas UDF of a query a Python worker of its own, so
    every extra UDF in a query is one more worker importing the model's libraries. ``collect``, as
    pyspark's ``toPandas`` calls a pandas API that pandas 3 deprecates."""
    return [row[0] for row in frame.select(column).collect()]


@pytest.fixture
def regressor(tracking):
    from sklearn.linear_model import LinearRegression

    X = _features()
    model = LinearRegression().fit(X, X.a * 2 - X.b + 0.5 * X.c)
    with runyard.start_run():
        info = runyard.sklearn.log_model(model, name="model", signature=infer_signature(X, model.predict(X)),
                                         registered_model_name="Housing")
    return info.model_uri, X


def test_regressor_predictions_match_pyfunc_for_each_way_of_calling(spark, regressor):
    from pyspark.sql.functions import col, struct

    uri, X = regressor
    expected = runyard.pyfunc.load_model(uri).predict(X)
    udf = runyard.pyfunc.spark_udf(spark, uri)  # result type from the output schema: double
    frame = spark.createDataFrame(X)
    calls = {"by name": udf("a", "b", "c"), "no arguments": udf(), "struct": udf(struct("c", "a", "b")),
             "Columns": udf(col("a"), col("b"), col("c")), "names reordered": udf("c", "b", "a")}
    for name, column in calls.items():
        np.testing.assert_allclose(_scores(frame, column), expected, rtol=1e-12, err_msg=name)


def test_registry_uris_by_version_and_alias(spark, regressor):
    uri, X = regressor
    runyard.MlflowClient().set_registered_model_alias("Housing", "champion", "1")
    expected = runyard.pyfunc.load_model(uri).predict(X)
    frame = spark.createDataFrame(X)
    for model_uri in ("models:/Housing/1", "models:/Housing@champion"):
        udf = runyard.pyfunc.spark_udf(spark, model_uri, result_type="double")
        np.testing.assert_allclose(_scores(frame, udf()), expected, rtol=1e-12)


def test_classifier_labels_as_string_and_int(spark, tracking):
    from pyspark.sql.types import IntegerType
    from sklearn.linear_model import LogisticRegression

    X = _features(20)
    y_text = np.where(X.a + X.b > 0, "up", "down")
    y_int = (X.a > 0).astype(np.int64)
    with runyard.start_run():
        text = runyard.sklearn.log_model(LogisticRegression().fit(X, y_text), name="text",
                                         signature=infer_signature(X, y_text))
        ints = runyard.sklearn.log_model(LogisticRegression().fit(X, y_int), name="ints",
                                         signature=infer_signature(X, y_int.to_numpy()))
    frame = spark.createDataFrame(X)
    as_int = runyard.pyfunc.spark_udf(spark, ints.model_uri, IntegerType())
    inferred = runyard.pyfunc.spark_udf(spark, ints.model_uri)
    assert as_int.returnType == IntegerType()
    assert inferred.returnType.simpleString() == "bigint"  # long, from the output schema
    text_labels = _scores(frame, runyard.pyfunc.spark_udf(spark, text.model_uri, "string")())
    assert text_labels == list(runyard.pyfunc.load_model(text.model_uri).predict(X))
    int_labels = [int(v) for v in runyard.pyfunc.load_model(ints.model_uri).predict(X)]
    assert _scores(frame, as_int()) == int_labels == _scores(frame, inferred())
    assert _scores(frame, runyard.pyfunc.spark_udf(spark, ints.model_uri, "string")()) == [str(v) for v in int_labels]


def test_custom_model_struct_result_params_and_extra_env(spark, tracking):
    from pyspark.sql.types import ArrayType, DoubleType, StringType, StructField, StructType

    X = pd.DataFrame({"x": [1.0, -2.0, 3.0], "y": [0.5, 0.5, -4.0], "tag": ["a", "b", "c"]})
    with runyard.start_run():
        info = runyard.pyfunc.log_model(name="labeller", python_model=Labeller(),
                                        signature=infer_signature(X, params={"scale": 1.0}))
    frame = spark.createDataFrame(X)
    ddl = runyard.pyfunc.spark_udf(spark, info.model_uri, "label string, score double, flag string",
                                   params={"scale": 10.0}, extra_env={"RUNYARD_SPARK_TEST_FLAG": "on"})
    typed = runyard.pyfunc.spark_udf(spark, info.model_uri, StructType([
        StructField("pair", ArrayType(DoubleType())), StructField("label", StringType())]))
    rows = _scores(frame, ddl("x", "y", "tag"))
    assert [r.label for r in rows] == ["a:pos", "b:neg", "c:neg"]
    assert [r.score for r in rows] == [15.0, -15.0, -10.0]
    assert {r.flag for r in rows} == {"on"}
    rows = _scores(frame, typed())
    assert [r.pair for r in rows] == [[1.0, 0.5], [-2.0, 0.5], [3.0, -4.0]]
    assert [r.label for r in rows] == ["a:pos", "b:neg", "c:neg"]
    arrays = runyard.pyfunc.spark_udf(spark, info.model_uri, "array<string>")
    assert _scores(frame, arrays())[0] == ["a:pos", "1.5", "[1.0, 0.5]", "unset"]


def test_wrong_column_type_fails_the_job_naming_the_column(spark, regressor):
    uri, X = regressor
    udf = runyard.pyfunc.spark_udf(spark, uri)
    bad = spark.createDataFrame(X.assign(b=["text"] * len(X)))
    with pytest.raises(Exception) as failure:
        bad.withColumn("p", udf()).collect()
    message = str(failure.value)
    assert "'b'" in message and "double" in message, message[-2000:]


def test_model_loads_once_per_worker_not_per_batch(spark, tracking, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    X = pd.DataFrame({"x": np.arange(40, dtype=float)})
    with runyard.start_run():
        info = runyard.pyfunc.log_model(name="counter", python_model=LoadCounter(), signature=infer_signature(X))
    udf = runyard.pyfunc.spark_udf(spark, info.model_uri, model_config={"log_dir": str(logs)})
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "3")
    try:
        # two passes over two partitions: several tasks and many batches per Python worker
        frame = spark.createDataFrame(X)
        for _ in range(2):
            assert sorted(_scores(frame, udf("x"))) == list(X.x * 2)
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")
    loads = (logs / "load").read_text().split()
    batches = (logs / "batch").read_text().split()
    assert len(loads) == len(set(loads)), f"a worker loaded the model twice: {loads}"
    assert len(batches) >= 2 * 40 // 3 and set(batches) <= set(loads)


def test_tensor_signature_reads_array_columns(spark, tracking):
    signature = ModelSignature(inputs=Schema([TensorSpec(np.dtype("float32"), (-1, 3))]))
    with runyard.start_run():
        info = runyard.pyfunc.log_model(name="tensor", python_model=TensorSum(), signature=signature)
    frame = spark.createDataFrame([([1.0, 2.0, 3.0],), ([0.5, 0.5, 0.5],)], "v array<double>")
    udf = runyard.pyfunc.spark_udf(spark, info.model_uri)
    assert _scores(frame, udf("v")) == [6.0, 1.5]


@interop
def test_model_saved_by_mlflow_scores_through_runyard(spark, tmp_path):
    from sklearn.linear_model import LinearRegression

    with pytest.MonkeyPatch.context() as mp:
        for name, value in QUIET.items():
            mp.setenv(name, value)
        mlflow_sklearn = importlib.import_module("mlflow.sklearn")
    X = _features()
    model = LinearRegression().fit(X, X.a - X.c)
    mlflow_sklearn.save_model(model, tmp_path / "m", signature=infer_signature(X, model.predict(X)),
                              pip_requirements=["scikit-learn"])
    udf = runyard.pyfunc.spark_udf(spark, str(tmp_path / "m"))
    np.testing.assert_allclose(_scores(spark.createDataFrame(X), udf()), model.predict(X), rtol=1e-12)


@pytest.mark.parametrize("result_type, problem", [
    ("timestamp", "timestamp"), ("map<int, string>", "map key"), ("struct<a: struct<b: int>>", "nested struct"),
    ("not a type at all", "is not a Spark type"), (3.5, "must be a pyspark DataType"),
])
def test_unsupported_result_types_are_refused_before_any_job(spark, regressor, result_type, problem):
    with pytest.raises(InvalidParameterValue, match=problem):
        runyard.pyfunc.spark_udf(spark, regressor[0], result_type)


def test_refusals_name_what_is_wrong(spark, tracking, tmp_path):
    with pytest.raises(InvalidParameterValue, match="env_manager='virtualenv' is not supported for Spark yet"):
        runyard.pyfunc.spark_udf(spark, "models:/Nowhere/1", env_manager="virtualenv")
    with pytest.raises(InvalidParameterValue, match="prebuilt_env_uri"):
        runyard.pyfunc.spark_udf(spark, "models:/Nowhere/1", prebuilt_env_uri="/tmp/env.tar.gz")
    with runyard.start_run():
        bare = runyard.pyfunc.log_model(name="bare", python_model=Labeller())
        typed = runyard.pyfunc.log_model(name="typed", python_model=Labeller(), signature=infer_signature(
            pd.DataFrame({"x": [1.0], "y": [2.0], "tag": ["t"]}), params={"scale": 1.0}))
    with pytest.raises(InvalidParameterValue, match="called with no columns"):
        runyard.pyfunc.spark_udf(spark, bare.model_uri, "string")()
    with pytest.raises(InvalidParameterValue, match="scale"):
        runyard.pyfunc.spark_udf(spark, typed.model_uri, "string", params={"scale": "much"})
    assert runyard.pyfunc.spark_udf(spark, typed.model_uri, "long").returnType.simpleString() == "bigint"
    assert runyard.pyfunc.spark_udf(spark, typed.model_uri, "bool").returnType.simpleString() == "boolean"


def test_registered_for_sql(spark, regressor):
    uri, X = regressor
    spark.udf.register("housing_price", runyard.pyfunc.spark_udf(spark, uri))
    spark.createDataFrame(X).createOrReplaceTempView("houses")
    got = [r.p for r in spark.sql("SELECT housing_price(a, b, c) AS p FROM houses").collect()]
    np.testing.assert_allclose(got, runyard.pyfunc.load_model(uri).predict(X), rtol=1e-12)


def test_importing_pyfunc_does_not_load_pyspark():
    probe = "import sys, runyard, runyard.pyfunc\nprint(json.dumps('pyspark' in sys.modules))"
    done = subprocess.run([sys.executable, "-c", "import json\n" + probe], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) is False
