"""ModelSignature (the MLmodel form) and infer_signature on every supported kind of data."""

from __future__ import annotations

import datetime
import json
import logging

import numpy as np
import pandas as pd
import pytest
import scipy.sparse

from runyard.errors import InvalidParameterValue
from runyard.models import (
    AnyType,
    Array,
    ColSpec,
    DataType,
    ModelSignature,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    TensorSpec,
    infer_signature,
)
from runyard.models.signature import _infer_schema


def _inputs(data) -> list[dict]:
    return json.loads(infer_signature(data).to_dict()["inputs"])


def test_to_dict_is_the_mlmodel_form():
    signature = ModelSignature(Schema([ColSpec("double", "x")]), Schema([ColSpec("long")]))
    assert signature.to_dict() == {
        "inputs": '[{"type": "double", "name": "x", "required": true}]',
        "outputs": '[{"type": "long", "required": true}]',
        "params": None,
    }
    with_params = ModelSignature(params=ParamSchema([ParamSpec("k", "long", 3)]))
    assert with_params.to_dict() == {
        "inputs": None, "outputs": None,
        "params": '[{"name": "k", "default": 3, "shape": null, "type": "long"}]',
    }


def test_from_dict_round_trips_and_compares():
    signature = ModelSignature(
        Schema([ColSpec("string", "text"), ColSpec(Array("string"), "tags", required=False)]),
        Schema([TensorSpec(np.dtype("float32"), (-1, 2))]),
        ParamSchema([ParamSpec("top_k", "long", 5), ParamSpec("stop", "string", ["\n"], (-1,))]),
    )
    again = ModelSignature.from_dict(signature.to_dict())
    assert again == signature
    assert again.to_dict() == signature.to_dict()
    assert ModelSignature.from_dict({"inputs": signature.to_dict()["inputs"]}) != signature
    assert "inputs: \n  ['text': string (required)" in repr(signature)


def test_signature_arguments_are_checked():
    with pytest.raises(InvalidParameterValue, match="at least one"):
        ModelSignature()
    with pytest.raises(InvalidParameterValue, match="inputs must be a Schema"):
        ModelSignature(inputs=[ColSpec("long")])
    with pytest.raises(InvalidParameterValue, match="params must be a ParamSchema"):
        ModelSignature(params={"a": 1})
    with pytest.raises(InvalidParameterValue, match="at least one"):
        infer_signature()
    with pytest.raises(InvalidParameterValue, match="mapping"):
        ModelSignature.from_dict("inputs")


def test_infer_dataframe_with_mixed_dtypes_and_missing_values():
    df = pd.DataFrame({
        "i64": [1, 2], "i32": np.array([1, 2], dtype=np.int32), "f64": [0.5, 1.0],
        "f32": np.array([1, 2], dtype=np.float32), "s": ["a", "b"], "b": [True, False],
        "t": pd.to_datetime(["2024-01-01", "2024-01-02"]), "raw": [b"x", b"y"],
        "opt_s": ["a", None], "opt_f": [1.0, np.nan], "ids": [[1, 2], [3]], "obj": [{"k": 1}, {"k": 2}],
    })
    assert _inputs(df) == [
        {"type": "long", "name": "i64", "required": True},
        {"type": "integer", "name": "i32", "required": True},
        {"type": "double", "name": "f64", "required": True},
        {"type": "float", "name": "f32", "required": True},
        {"type": "string", "name": "s", "required": True},
        {"type": "boolean", "name": "b", "required": True},
        {"type": "datetime", "name": "t", "required": True},
        {"type": "binary", "name": "raw", "required": True},
        {"type": "string", "name": "opt_s", "required": False},
        {"type": "double", "name": "opt_f", "required": False},
        {"type": "array", "items": {"type": "long"}, "name": "ids", "required": True},
        {"type": "object", "properties": {"k": {"type": "long", "required": True}}, "name": "obj", "required": True},
    ]


def test_infer_pandas_extension_and_categorical_columns():
    df = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "c": pd.Categorical(["x", "y"]),
                       "s": pd.array(["x", None], dtype="string")})
    assert _inputs(df) == [{"type": "long", "name": "n", "required": False},
                           {"type": "string", "name": "c", "required": True},
                           {"type": "string", "name": "s", "required": False}]


def test_infer_numpy_gives_tensors_with_a_free_first_dimension():
    assert infer_signature(np.zeros((5, 4), dtype=np.float32)).inputs == Schema(
        [TensorSpec(np.dtype("float32"), (-1, 4))])
    assert _inputs(np.array(["a", "bb"])) == [{"type": "tensor", "tensor-spec": {"dtype": "str", "shape": [-1]}}]
    named = infer_signature({"img": np.zeros((2, 8, 8), dtype=np.uint8), "ids": np.arange(2)})
    assert named.inputs == Schema([TensorSpec(np.dtype("uint8"), (-1, 8, 8), "img"),
                                   TensorSpec(np.dtype("int64"), (-1,), "ids")])


def test_infer_sparse_matrices_as_tensors():
    matrix = scipy.sparse.csr_matrix(np.eye(3, dtype=np.float32))
    assert infer_signature(matrix).inputs == Schema([TensorSpec(np.dtype("float32"), (-1, 3))])
    assert infer_signature(scipy.sparse.csc_matrix(np.eye(2))).inputs == Schema([TensorSpec(np.dtype("float64"), (-1, 2))])


def test_infer_series_strings_and_lists():
    assert infer_signature(pd.Series([1.0, 2.0], name="y")).inputs == Schema([ColSpec("double", "y")])
    assert infer_signature(pd.Series([1, 2])).inputs == Schema([ColSpec("long")])
    assert infer_signature("a prompt").inputs == Schema([ColSpec("string")])
    assert infer_signature(["a", "b"]).inputs == Schema([ColSpec("string")])
    assert infer_signature([]).inputs == Schema([ColSpec("string")])
    assert infer_signature([[1, 2], [3]]).inputs == Schema([ColSpec(Array("long"))])
    assert infer_signature(b"raw").inputs == Schema([ColSpec("binary")])
    assert infer_signature(datetime.date(2024, 1, 1)).inputs == Schema([ColSpec("datetime")])


def test_infer_dicts_and_records():
    assert infer_signature({"q": "hi", "n": 3, "temp": 0.5, "flag": None}).inputs == Schema([
        ColSpec("string", "q"), ColSpec("long", "n"), ColSpec("double", "temp"),
        ColSpec(AnyType(), "flag", required=False)])
    assert infer_signature({"a": [1, 2], "b": ["x"]}).inputs == Schema([
        ColSpec(Array("long"), "a"), ColSpec(Array("string"), "b")])
    records = [{"a": 1, "meta": {"x": 1}}, {"a": 2, "b": "y", "meta": {"y": "s"}}]
    assert infer_signature(records).inputs == Schema([
        ColSpec("long", "a"),
        ColSpec(Object([Property("x", "long", required=False), Property("y", "string", required=False)]), "meta"),
        ColSpec("string", "b", required=False),
    ])


def test_outputs_and_params():
    signature = infer_signature(pd.DataFrame({"x": [1.0]}), np.array([0, 1]),
                                params={"k": 3, "t": 0.5, "name": "x", "on": True, "ids": [1, 2],
                                        "day": datetime.date(2024, 1, 2), "opts": {"depth": 2}})
    assert signature.outputs == Schema([TensorSpec(np.dtype("int64"), (-1,))])
    assert signature.params == ParamSchema([
        ParamSpec("k", "long", 3), ParamSpec("t", "double", 0.5), ParamSpec("name", "string", "x"),
        ParamSpec("on", "boolean", True), ParamSpec("ids", "long", [1, 2], (-1,)),
        ParamSpec("day", "datetime", datetime.date(2024, 1, 2)),
        ParamSpec("opts", Object([Property("depth", "long")]), {"depth": 2}),
    ])
    assert infer_signature(params={"f": np.float32(0.5)}).params.params[0].dtype is DataType.float


@pytest.mark.parametrize("params, message", [
    ({"m": [[1, 2]]}, "'m': a param must be .* 1-D list; got a 2-D list"),
    ({"n": None}, "'n': a param must be"),
    ({"b": b"x"}, "binary"),
])
def test_params_that_cannot_be_inferred_raise(params, message):
    with pytest.raises(InvalidParameterValue, match=message):
        infer_signature("x", params=params)


@pytest.mark.parametrize("data", [
    pd.DataFrame({"u": np.array([1], dtype=np.uint64)}),
    pd.DataFrame({"mixed": [1, "x"]}),
    [1, "a"],
    pd.DataFrame({"d": pd.to_timedelta([1], unit="s")}),
])
def test_uninferable_data_falls_back_to_any_with_a_warning(data, caplog):
    with caplog.at_level(logging.WARNING, logger="runyard.models.signature"):
        signature = infer_signature(data)
    assert signature.inputs == Schema([ColSpec(AnyType())])
    assert "Could not infer a schema for inputs" in caplog.text


def test_private_infer_schema_raises_instead_of_falling_back():
    with pytest.raises(InvalidParameterValue, match="several types"):
        _infer_schema([1, "a"])
    with pytest.raises(InvalidParameterValue, match="keys must be strings"):
        _infer_schema({1: "a"})
    assert _infer_schema(pd.DataFrame({"a": [1]})) == Schema([ColSpec("long", "a")])
