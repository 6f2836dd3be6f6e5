"""Predictions turned into a Spark result type, without a Spark session: pyspark's type objects
are plain Python."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runyard.errors import InvalidParameterValue
from runyard.flavors.spark_results import check_result_type, result_type_from_schema, to_spark_result
from runyard.models.schema import ColSpec, Schema, TensorSpec

T = pytest.importorskip("pyspark.sql.types", reason="pyspark is not installed")


def test_scalars_take_the_leftmost_column_that_fits():
    frame = pd.DataFrame({"name": ["a", "b"], "big": [2**40, 1], "small": [3, 4], "ratio": [0.5, 1.5],
                          "ok": [True, False]})
    assert to_spark_result(frame, T.IntegerType(), 2).tolist() == [3, 4]  # "big" does not fit int32
    assert to_spark_result(frame, T.LongType(), 2).tolist() == [2**40, 1]
    assert to_spark_result(frame, T.DoubleType(), 2).tolist() == [2.0**40, 1.0]
    assert to_spark_result(frame, T.FloatType(), 2).dtype == np.float32
    assert to_spark_result(frame, T.StringType(), 2).tolist() == ["a", "b"]
    assert to_spark_result(frame, T.BooleanType(), 2).tolist() == [True, True]  # "big" as bool
    assert to_spark_result(frame[["ok", "ratio"]], T.BooleanType(), 2).tolist() == [True, False]


def test_scalar_with_no_fitting_column_names_what_the_model_returned():
    with pytest.raises(InvalidParameterValue, match=r"no output column .* 'label' \((object|str)\)"):
        to_spark_result(pd.DataFrame({"label": ["x", "y"]}), T.DoubleType(), 2)
    with pytest.raises(InvalidParameterValue, match="no output column"):
        to_spark_result(np.array([0.5, 1.5]), T.IntegerType(), 2)


def test_shapes_of_predictions():
    assert to_spark_result(np.array([1, 2, 3]), T.LongType(), 3).tolist() == [1, 2, 3]
    assert to_spark_result([1.5, 2.5], T.DoubleType(), 2).tolist() == [1.5, 2.5]
    assert to_spark_result(pd.Series(["x"], index=[7]), T.StringType(), 1).tolist() == ["x"]
    assert to_spark_result(np.array([[1.0, 2.0], [3.0, 4.0]]), T.ArrayType(T.DoubleType()), 2).tolist() == [
        [1.0, 2.0], [3.0, 4.0]]
    assert to_spark_result(np.zeros((2, 2, 2)), T.ArrayType(T.ArrayType(T.FloatType())), 2).tolist() == [
        [[0.0, 0.0], [0.0, 0.0]]] * 2
    with pytest.raises(InvalidParameterValue, match="returned 3 predictions for 2 input rows"):
        to_spark_result([1, 2, 3], T.LongType(), 2)


def test_arrays_from_rows_or_from_columns():
    per_row = pd.Series([[1, 2], [3]])
    assert to_spark_result(per_row, T.ArrayType(T.LongType()), 2).tolist() == [[1, 2], [3]]
    assert to_spark_result(per_row, T.ArrayType(T.StringType()), 2).tolist() == [["1", "2"], ["3"]]
    frame = pd.DataFrame({"label": ["a", "b"], "p0": [0.25, 0.5], "p1": [0.75, 0.5]})
    assert to_spark_result(frame, T.ArrayType(T.DoubleType()), 2).tolist() == [[0.25, 0.75], [0.5, 0.5]]
    assert to_spark_result(frame, T.ArrayType(T.StringType()), 2).tolist() == [["a", "0.25", "0.75"],
                                                                                ["b", "0.5", "0.5"]]
    with pytest.raises(InvalidParameterValue, match="cannot be returned as array<int>"):
        to_spark_result(frame, T.ArrayType(T.IntegerType()), 2)


def test_structs_take_their_fields_by_name():
    frame = pd.DataFrame({"score": [0.5, None], "label": ["a", "b"], "count": [1.0, None],
                          "top": [[1, 2], [3]]})
    struct = T.StructType([T.StructField("label", T.StringType()), T.StructField("count", T.IntegerType()),
                           T.StructField("top", T.ArrayType(T.LongType())), T.StructField("score", T.DoubleType())])
    out = to_spark_result(frame, struct, 2)
    assert list(out.columns) == ["label", "count", "top", "score"]
    assert out["label"].tolist() == ["a", "b"] and out["top"].tolist() == [[1, 2], [3]]
    assert out["count"].tolist()[0] == 1 and pd.isna(out["count"].tolist()[1])  # a nullable int
    records = [{"label": "a", "count": 1, "top": [], "score": 1.0}]
    assert to_spark_result(records, struct, 1)["label"].tolist() == ["a"]
    with pytest.raises(InvalidParameterValue, match="has no column 'missing'"):
        to_spark_result(frame, T.StructType([T.StructField("missing", T.StringType())]), 2)
    with pytest.raises(InvalidParameterValue, match="'label' .* cannot be returned as double"):
        to_spark_result(frame, T.StructType([T.StructField("label", T.DoubleType())]), 2)


def test_maps_from_one_dict_per_row():
    out = to_spark_result([{"a": 1}, {"b": 2.5}], T.MapType(T.StringType(), T.DoubleType()), 2)
    assert out.tolist() == [{"a": 1.0}, {"b": 2.5}]


@pytest.mark.parametrize("dtype", [T.TimestampType(), T.BinaryType(), T.MapType(T.IntegerType(), T.StringType()),
                                   T.ArrayType(T.StructType([T.StructField("a", T.IntegerType())])),
                                   T.StructType([])])
def test_types_a_udf_cannot_return(dtype):
    with pytest.raises(InvalidParameterValue, match="is not supported"):
        check_result_type(dtype)


def test_result_type_from_the_output_schema():
    assert result_type_from_schema(None) == T.DoubleType()
    assert result_type_from_schema(Schema([ColSpec("long")])) == T.LongType()
    assert result_type_from_schema(Schema([ColSpec("string", "label"), ColSpec("double", "score")])) == \
        T.StructType([T.StructField("label", T.StringType()), T.StructField("score", T.DoubleType())])
    assert result_type_from_schema(Schema([TensorSpec(np.dtype("float32"), (-1, 4))])) == T.ArrayType(T.FloatType())
    with pytest.raises(InvalidParameterValue, match="pass result_type"):
        result_type_from_schema(Schema([ColSpec("datetime")]))


def test_text_of_mixed_rows_and_missing_values():
    frame = pd.DataFrame({"label": ["a", None], "pair": [[1.0, [2.0]], [3.0]], "n": [pd.NA, 1]})
    assert to_spark_result(frame, T.ArrayType(T.StringType()), 2).tolist() == [
        ["a", "[1.0, [2.0]]", None], [None, "[3.0]", "1"]]
    assert to_spark_result({"a": 1, "b": "x"}, T.StringType(), 1).tolist() == ["1"]
