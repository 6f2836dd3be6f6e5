"""Schema enforcement before predict: columns selected and converted safely, tensors checked, and
every refusal names the column (or input) and the type the model expects."""

from __future__ import annotations

import datetime
import logging
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse

from runyard.errors import InvalidParameterValue
from runyard.models import (
    AnyType,
    Array,
    ColSpec,
    Map,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    TensorSpec,
    enforce_params,
    enforce_schema,
)

COLUMNS = Schema([ColSpec("long", "a"), ColSpec("double", "b", required=False), ColSpec("string", "c")])


def _refused(data, schema, *fragments):
    with pytest.raises(InvalidParameterValue) as info:
        enforce_schema(data, schema)
    for fragment in fragments:
        assert fragment in info.value.message
    body = info.value.to_dict()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert body["error_class"] == "SCHEMA_ENFORCEMENT_FAILED"
    return info.value.message


def test_named_columns_are_selected_and_ordered(caplog):
    frame = pd.DataFrame({"z": [0], "c": ["x"], "b": [1.5], "a": [1]}, index=[7])
    with caplog.at_level(logging.WARNING, logger="runyard.models.enforcement"):
        result = enforce_schema(frame, COLUMNS)
    assert list(result.columns) == ["a", "b", "c"]
    assert list(result.index) == [7]
    assert "Ignoring inputs ['z']" in caplog.text


def test_optional_column_may_be_missing_required_may_not():
    result = enforce_schema(pd.DataFrame({"a": [1], "c": ["x"]}), COLUMNS)
    assert list(result.columns) == ["a", "c"]
    _refused(pd.DataFrame({"a": [1], "b": [1.0]}), COLUMNS, "missing inputs", "'c' (string)")


@pytest.mark.parametrize("values, schema_type, expected_dtype", [
    (np.array([1, 2], dtype=np.int32), "long", "int64"),
    (np.array([1, 2], dtype=np.uint16), "long", "int64"),
    (np.array([1, 2], dtype=np.int32), "double", "float64"),
    (np.array([1.5], dtype=np.float32), "double", "float64"),
    (np.array([0, 1]), "double", "float64"),
    (np.array([0, 1]), "float", "float32"),
    (np.array(["2024-01-01"], dtype="datetime64[s]"), "datetime", "datetime64[ns]"),
    (pd.array([1, 2], dtype="Int64"), "long", "int64"),
    (pd.array([1, None], dtype="Int64"), "double", "float64"),
    (pd.array([1.5, None], dtype="Float64"), "double", "float64"),
])
def test_safe_conversions(values, schema_type, expected_dtype):
    result = enforce_schema(pd.DataFrame({"x": values}), Schema([ColSpec(schema_type, "x")]))
    assert str(result["x"].dtype) == expected_dtype


def test_datetimes_from_dates_and_text():
    schema = Schema([ColSpec("datetime", "d")])
    for values in ([datetime.date(2024, 1, 2)], ["2024-01-02"]):
        result = enforce_schema(pd.DataFrame({"d": values}), schema)
        assert result["d"].tolist() == [pd.Timestamp("2024-01-02")]
    _refused(pd.DataFrame({"d": pd.to_datetime(["2024-01-01"]).tz_localize("UTC")}), schema,
             "column 'd'", "expected datetime", "timezone-naive")
    _refused(pd.DataFrame({"d": ["not a date"]}), schema, "column 'd'", "expected datetime")


@pytest.mark.parametrize("values, schema_type, expected", [
    ([1.5], "long", "expected long (int64), got float64"),
    ([1.5], "float", "expected float (float32), got float64"),
    ([5, 7], "double", "expected double (float64), got int64"),
    (["1"], "long", "expected long (int64)"),
    ([1], "boolean", "expected boolean (bool), got int64"),
    ([1], "string", "expected string, got int64"),
    ([1], "integer", "expected integer (int32), got int64"),
])
def test_unsafe_conversions_name_the_column_and_the_type(values, schema_type, expected):
    _refused(pd.DataFrame({"x": values}), Schema([ColSpec(schema_type, "x")]), "column 'x'", expected)


def test_whole_numbers_with_missing_values_get_a_hint():
    message = _refused(pd.DataFrame({"n": [1.0, None]}), Schema([ColSpec("long", "n")]), "column 'n'")
    assert "missing values" in message
    _refused(pd.DataFrame({"n": pd.array([1, None], dtype="Int64")}), Schema([ColSpec("long", "n")]),
             "column 'n'", "missing values")


@pytest.mark.parametrize("data", [
    {"a": 1, "c": "x"},
    {"a": np.array([1]), "c": np.array(["x"])},
    [{"a": 1, "c": "x"}],
    pd.Series({"a": 1, "c": "x"}).to_frame().T.astype({"a": "int64"}),
])
def test_dicts_records_and_frames_read_as_rows(data):
    result = enforce_schema(data, COLUMNS)
    assert result.to_dict("list") == {"a": [1], "c": ["x"]}


def test_lists_scalars_series_and_arrays_fill_unnamed_columns():
    schema = Schema([ColSpec("string")])
    assert enforce_schema("hello", schema)[0].tolist() == ["hello"]
    assert enforce_schema(["a", "b"], schema)[0].tolist() == ["a", "b"]
    assert enforce_schema(pd.Series(["a"]), schema)[0].tolist() == ["a"]
    two = Schema([ColSpec("long"), ColSpec("double")])
    result = enforce_schema(np.array([[1, 2], [3, 4]], dtype=np.int32), two)
    assert [str(t) for t in result.dtypes] == ["int64", "float64"]
    _refused(pd.DataFrame({"x": [1]}), two, "declares 2 unnamed inputs", "1 columns")
    _refused(pd.DataFrame({"x": ["a"], "y": [1.5]}), two, "position 0", "expected long")


def test_nested_columns_are_checked_value_by_value():
    schema = Schema([
        ColSpec(Array("long"), "ids"),
        ColSpec(Object([Property("k", "string"), Property("n", "double", required=False)]), "meta"),
        ColSpec(Map("double"), "weights", required=False),
        ColSpec(AnyType(), "extra", required=False),
    ])
    good = {"ids": [1, 2], "meta": {"k": "x"}, "weights": {"w": 0.5}, "extra": [None, 1]}
    result = enforce_schema(good, schema)
    assert result["ids"][0] == [1, 2] and result["meta"][0] == {"k": "x"}
    _refused({**good, "ids": [1, "x"]}, schema, "column 'ids'[1]", "expected long")
    _refused({**good, "meta": {"n": 1.0}}, schema, "column 'meta'", "missing required properties ['k']")
    _refused({**good, "meta": {"k": "x", "zz": 1}}, schema, "column 'meta'", "['zz'] are not defined")
    _refused({**good, "weights": {"w": "heavy"}}, schema, "column 'weights'.w", "expected double")
    _refused({**good, "ids": 5}, schema, "column 'ids'", "expected a list")


TENSOR = Schema([TensorSpec(np.dtype("float32"), (-1, 3))])


def test_tensor_dtype_and_shape_are_checked():
    data = np.zeros((2, 3), dtype=np.float32)
    assert enforce_schema(data, TENSOR) is data
    _refused(np.zeros((2, 3)), TENSOR, "dtype of the input is float64", "expects float32")
    _refused(np.zeros((2, 4), dtype=np.float32), TENSOR, "(2, 4)", "expected shape (-1, 3)")
    _refused(np.zeros(3, dtype=np.float32), TENSOR, "expected shape (-1, 3)")
    _refused("text", TENSOR, "numpy array", "str")


def test_tensor_from_dataframes_is_cast_where_values_survive():
    from_columns = enforce_schema(pd.DataFrame(np.ones((2, 3))), TENSOR)
    assert from_columns.dtype == np.float32 and from_columns.shape == (2, 3)
    from_lists = enforce_schema(pd.DataFrame({"x": [[1, 2, 3], [4, 5, 6]]}), TENSOR)
    assert from_lists.dtype == np.float32 and from_lists.tolist()[1] == [4, 5, 6]
    _refused(pd.DataFrame({"x": [[1, 2], [3, 4, 5]]}), TENSOR, "cannot be reshaped to (-1, 3)")
    _refused(pd.DataFrame({"a": [1.0], "b": [2.0]}), TENSOR, "2 columns", "(-1, 3)")
    ints = Schema([TensorSpec(np.dtype("int8"), (-1,))])
    assert enforce_schema(pd.DataFrame({"x": [1, 2]}), ints).dtype == np.int8
    _refused(pd.DataFrame({"x": [1, 300]}), ints, "overflow", "int8")
    _refused(pd.DataFrame({"x": [1.5]}), ints, "dtype of the input is float64", "expects int8")


def test_named_tensors():
    schema = Schema([TensorSpec(np.dtype("int64"), (-1,), "ids"), TensorSpec(np.dtype("str"), (-1,), "words")])
    result = enforce_schema({"words": np.array(["a", "b"]), "ids": np.array([1, 2]), "x": np.zeros(1)}, schema)
    assert list(result) == ["ids", "words"]
    from_frame = enforce_schema(pd.DataFrame({"ids": [1, 2], "words": ["a", "b"]}), schema)
    assert from_frame["words"].tolist() == ["a", "b"] and from_frame["ids"].dtype == np.int64
    _refused({"ids": np.array([1])}, schema, "missing inputs", "'words' (tensor of str with shape (-1,))")
    _refused({"ids": [1], "words": np.array(["a"])}, schema, "Input 'ids' must be a numpy array")
    _refused({"ids": np.array([1.5]), "words": np.array(["a"])}, schema, "input 'ids'", "expects int64")
    single = Schema([TensorSpec(np.dtype("int64"), (-1,), "ids")])
    assert enforce_schema(np.array([3]), single)["ids"].tolist() == [3]


def test_sparse_and_ragged_tensors():
    matrix = scipy.sparse.csr_matrix(np.eye(3, dtype=np.float32))
    assert enforce_schema(matrix, TENSOR) is matrix
    ragged = np.empty(2, dtype=object)
    ragged[0], ragged[1] = [1], [1, 2]
    assert enforce_schema(ragged, Schema([TensorSpec(np.dtype("float64"), (-1, -1))])) is ragged
    assert enforce_schema(ragged, Schema([TensorSpec(np.dtype("O"), (-1,))])) is ragged


def test_schema_argument_is_checked():
    with pytest.raises(InvalidParameterValue, match="schema must be a Schema"):
        enforce_schema(pd.DataFrame({"a": [1]}), {"a": "long"})


PARAMS = ParamSchema([ParamSpec("t", "double", 0.5), ParamSpec("ids", "long", [1], (-1,)),
                      ParamSpec("day", "datetime", "2024-01-01")])


def test_params_are_filled_converted_and_checked(caplog):
    assert enforce_params(None, PARAMS) == {"t": 0.5, "ids": [1], "day": datetime.date(2024, 1, 1)}
    assert enforce_params({"t": 1, "ids": np.array([2, 3]), "day": "2024-02-03"}, PARAMS) == {
        "t": 1.0, "ids": [2, 3], "day": datetime.date(2024, 2, 3)}
    with caplog.at_level(logging.WARNING, logger="runyard.models.param_schema"):
        assert enforce_params({"t": 0.25, "zz": 1}, PARAMS)["t"] == 0.25
    assert "Ignoring params ['zz']" in caplog.text
    with pytest.raises(InvalidParameterValue, match="Param 't' expects type double, got str"):
        enforce_params({"t": "hot"}, PARAMS)
    with pytest.raises(InvalidParameterValue, match="Param 'ids' expects a 1-D list"):
        enforce_params({"ids": 3}, PARAMS)
    with pytest.raises(InvalidParameterValue, match="params must be a dict"):
        enforce_params([("t", 1)], PARAMS)


def test_params_without_a_params_schema_are_dropped_with_a_warning(caplog):
    assert enforce_params(None, None) is None
    assert enforce_params({}, None) == {}
    with caplog.at_level(logging.WARNING, logger="runyard.models.param_schema"):
        assert enforce_params({"t": 1}, None) == {}
    assert "declares no params" in caplog.text


@pytest.mark.parametrize("data, schema_json", [
    (pd.DataFrame({"c": ["x"], "a": np.array([1], dtype=np.int32), "b": np.array([2.5], dtype=np.float32)}),
     COLUMNS.to_json()),
    ([{"a": 1, "c": "x"}, {"a": 2, "c": "y", "b": 0.5}], COLUMNS.to_json()),
    ({"a": np.array([1, 2]), "c": np.array(["x", "y"])}, COLUMNS.to_json()),
    (pd.DataFrame({"d": pd.to_datetime(["2024-01-01"]).astype("datetime64[s]")}),
     '[{"type": "datetime", "name": "d", "required": true}]'),
    ([{"ids": [1, 2], "meta": {"k": "x"}}],
     '[{"type": "array", "items": {"type": "long"}, "name": "ids", "required": true},'
     ' {"type": "object", "properties": {"k": {"type": "string", "required": true}}, "name": "meta", "required": true}]'),
])
def test_accepted_inputs_come_out_as_mlflow_makes_them(data, schema_json):
    from mlflow.models.utils import _enforce_schema
    from mlflow.types import Schema as MlflowSchema

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _enforce_schema(data, MlflowSchema.from_json(schema_json))
    result = enforce_schema(data, Schema.from_json(schema_json))
    pd.testing.assert_frame_equal(result, expected)
