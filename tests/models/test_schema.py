"""Schemas and their JSON: DataType, ColSpec, TensorSpec, Array/Object/Map/Any, Schema, ParamSpec."""

from __future__ import annotations

import datetime
import json

import numpy as np
import pytest

from runyard.errors import InvalidParameterValue, MlflowException
from runyard.models.datatypes import merge_types
from runyard.models.schema import (
    AnyType,
    Array,
    ColSpec,
    DataType,
    Map,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    TensorSpec,
)


def test_datatype_members_and_dtypes():
    assert [t.name for t in DataType] == [
        "boolean", "integer", "long", "float", "double", "string", "binary", "datetime"]
    assert [t.value for t in DataType] == list(range(1, 9))
    assert DataType.long.to_numpy() == np.dtype("int64")
    assert DataType.float.to_numpy() == np.dtype("float32")
    assert DataType.string.to_pandas() is object
    assert DataType.datetime.to_pandas() == np.dtype("datetime64[ns]")
    assert DataType.from_numpy_type(np.int32) is DataType.integer
    assert DataType.from_numpy_type(np.dtype("float64")) is DataType.double
    assert DataType.from_numpy_type(np.dtype("O")) is None
    assert repr(DataType.double) == "double"


def test_colspec_json_key_order_and_optional_name():
    assert ColSpec("long", "a").to_dict() == {"type": "long", "name": "a", "required": True}
    assert list(ColSpec(DataType.string, "s", required=False).to_dict()) == ["type", "name", "required"]
    assert ColSpec(DataType.double).to_dict() == {"type": "double", "required": True}
    nested = ColSpec(Array(DataType.string), "tags").to_dict()
    assert nested == {"type": "array", "items": {"type": "string"}, "name": "tags", "required": True}


def test_colspec_rejects_unknown_type_naming_it():
    with pytest.raises(InvalidParameterValue, match="'decimal'") as info:
        ColSpec("decimal", "price")
    assert isinstance(info.value, MlflowException)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"


def test_tensor_spec_json_and_validation():
    spec = TensorSpec(np.dtype("float32"), (-1, 28, 28), "image")
    assert spec.to_dict() == {"name": "image", "type": "tensor",
                              "tensor-spec": {"dtype": "float32", "shape": (-1, 28, 28)}}
    assert list(TensorSpec(np.dtype("int8"), [-1]).to_dict()) == ["type", "tensor-spec"]
    assert TensorSpec(np.dtype("str"), (-1,)).to_dict()["tensor-spec"]["dtype"] == "str"
    with pytest.raises(InvalidParameterValue, match="numpy.dtype"):
        TensorSpec("float32", (-1,))
    with pytest.raises(InvalidParameterValue, match="length"):
        TensorSpec(np.dtype("<U5"), (-1,))
    with pytest.raises(InvalidParameterValue, match="shape"):
        TensorSpec(np.dtype("float32"), (-1, 2.5))


def test_object_sorts_properties_and_rejects_duplicates():
    obj = Object([Property("b", "long"), Property("a", DataType.string, required=False)])
    assert [p.name for p in obj.properties] == ["a", "b"]
    assert obj.to_dict() == {"type": "object", "properties": {
        "a": {"type": "string", "required": False}, "b": {"type": "long", "required": True}}}
    with pytest.raises(InvalidParameterValue, match="duplicated property names: \\['a'\\]"):
        Object([Property("a", "long"), Property("a", "double")])
    with pytest.raises(InvalidParameterValue, match="non-empty"):
        Object([])


def test_map_and_any_json():
    assert Map(DataType.double).to_dict() == {"type": "map", "values": {"type": "double"}}
    assert Map(Array("long")).to_dict() == {"type": "map", "values": {"type": "array", "items": {"type": "long"}}}
    assert AnyType().to_dict() == {"type": "any"}
    assert ColSpec(AnyType(), "x").to_dict() == {"type": "any", "name": "x", "required": True}


def test_schema_round_trips_every_kind_of_column():
    schema = Schema([
        ColSpec("long", "a"),
        ColSpec("string", "b", required=False),
        ColSpec(Array(Array("double")), "c"),
        ColSpec(Object([Property("x", "long"), Property("y", Map(AnyType()), required=False)]), "d"),
        ColSpec(Map(Object([Property("k", "boolean")])), "e"),
        ColSpec(AnyType(), "f", required=False),
        ColSpec("datetime", "g"),
        ColSpec("binary", "h"),
    ])
    text = schema.to_json()
    assert Schema.from_json(text) == schema
    assert Schema.from_json(text).to_json() == text
    assert json.loads(text) == schema.to_dict()


def test_tensor_schema_round_trips():
    schema = Schema([TensorSpec(np.dtype("float64"), (-1, 3), "x"), TensorSpec(np.dtype("str"), (-1,), "y")])
    again = Schema.from_json(schema.to_json())
    assert again == schema and again.is_tensor_spec()
    assert again.inputs[0].shape == (-1, 3)


def test_schema_accessors():
    schema = Schema([ColSpec("long", "a"), ColSpec("double", "b", required=False)])
    assert schema.input_names() == ["a", "b"]
    assert schema.has_input_names() and not schema.is_tensor_spec()
    assert schema.required_input_names() == ["a"]
    assert schema.optional_input_names() == ["b"]
    assert schema.input_types() == [DataType.long, DataType.double]
    assert schema.numpy_types() == [np.dtype("int64"), np.dtype("float64")]
    assert schema.pandas_types() == [np.dtype("int64"), np.dtype("float64")]
    assert schema.input_types_dict() == {"a": DataType.long, "b": DataType.double}
    assert len(schema) == 2 and [c.name for c in schema] == ["a", "b"]
    unnamed = Schema([ColSpec("string"), ColSpec("long")])
    assert unnamed.input_names() == [0, 1] and not unnamed.has_input_names()
    tensors = Schema([TensorSpec(np.dtype("int32"), (-1,))])
    assert tensors.numpy_types() == [np.dtype("int32")]
    with pytest.raises(InvalidParameterValue, match="numpy_types"):
        tensors.pandas_types()
    with pytest.raises(InvalidParameterValue, match="'c'"):
        Schema([ColSpec(Array("long"), "c")]).numpy_types()


def test_schema_equality():
    assert Schema([ColSpec("long", "a")]) == Schema([ColSpec(DataType.long, "a")])
    assert Schema([ColSpec("long", "a")]) != Schema([ColSpec("long", "a", required=False)])
    assert Schema([ColSpec("long", "a")]) != Schema([ColSpec("integer", "a")])
    assert Schema([TensorSpec(np.dtype("int32"), (-1,))]) != Schema([TensorSpec(np.dtype("int32"), (-1, 1))])
    assert Schema([ColSpec("long", "a")]) != "long"


@pytest.mark.parametrize("inputs, message", [
    ([], "non-empty"),
    ("a", "non-empty list"),
    ([ColSpec("long", "a"), TensorSpec(np.dtype("int8"), (-1,), "b")], "all ColSpec or all TensorSpec"),
    ([ColSpec("long", "a"), ColSpec("long")], "all named or all unnamed"),
    ([TensorSpec(np.dtype("int8"), (-1,)), TensorSpec(np.dtype("int8"), (-1,))], "name every tensor"),
    ([ColSpec("long", required=False)], "Unnamed schema inputs cannot be optional"),
])
def test_invalid_schemas_are_refused(inputs, message):
    with pytest.raises(InvalidParameterValue, match=message):
        Schema(inputs)


@pytest.mark.parametrize("text, message", [
    ("not json", "not valid JSON"),
    ('{"type": "long"}', "list of objects"),
    ('[{"name": "a"}]', "list of objects"),
    ('[{"type": "tensor", "tensor-spec": {"dtype": "float32"}}]', "'dtype' and 'shape'"),
    ('[{"type": "array", "name": "a"}]', "'items'"),
    ('[{"type": "long2", "name": "a"}]', "'long2'"),
])
def test_bad_schema_json_is_refused(text, message):
    with pytest.raises(InvalidParameterValue, match=message):
        Schema.from_json(text)


def test_merge_types_widens_objects_and_absorbs_any():
    first = Object([Property("a", "long"), Property("b", "string")])
    second = Object([Property("a", "long"), Property("c", Array("double"))])
    merged = merge_types(first, second)
    assert merged == Object([Property("a", "long"), Property("b", "string", required=False),
                             Property("c", Array("double"), required=False)])
    assert merge_types(AnyType(), DataType.long) is DataType.long
    assert merge_types(first, AnyType()) == Object([Property("a", "long", required=False),
                                                     Property("b", "string", required=False)])
    with pytest.raises(InvalidParameterValue, match="incompatible"):
        merge_types(DataType.long, DataType.string)


def test_param_spec_json_order_and_defaults():
    spec = ParamSpec("temperature", "float", 0.5)
    assert spec.to_dict() == {"name": "temperature", "default": 0.5, "shape": None, "type": "float"}
    assert list(spec.to_dict()) == ["name", "default", "shape", "type"]
    listed = ParamSpec("stop", DataType.string, ["a", "b"], (-1,))
    assert listed.to_dict() == {"name": "stop", "default": ["a", "b"], "shape": (-1,), "type": "string"}
    when = ParamSpec("when", "datetime", "2024-05-06")
    assert when.default == datetime.date(2024, 5, 6)
    assert when.to_dict()["default"] == "2024-05-06"
    obj = ParamSpec("opts", Object([Property("k", "long")]), {"k": 1})
    assert obj.to_dict() == {"name": "opts", "default": {"k": 1}, "shape": None,
                             "type": "object", "properties": {"k": {"type": "long", "required": True}}}
    assert ParamSpec("n", "long", None).default is None


def test_param_spec_converts_and_refuses_defaults():
    assert ParamSpec("n", "double", np.float32(1.5)).default == 1.5
    assert type(ParamSpec("n", "long", np.int32(3)).default) is int
    assert ParamSpec("l", "long", np.array([1, 2]), [-1]).default == [1, 2]
    with pytest.raises(InvalidParameterValue, match="'n' expects type long"):
        ParamSpec("n", "long", 1.5)
    with pytest.raises(InvalidParameterValue, match="'flag' expects type boolean"):
        ParamSpec("flag", "boolean", 1)
    with pytest.raises(InvalidParameterValue, match="binary"):
        ParamSpec("b", "binary", b"x")
    with pytest.raises(InvalidParameterValue, match="1-D list"):
        ParamSpec("l", "long", [[1]], (-1,))
    with pytest.raises(InvalidParameterValue, match="shape"):
        ParamSpec("l", "long", [1], (2,))
    with pytest.raises(InvalidParameterValue, match="unsupported type 'decimal'"):
        ParamSpec("p", "decimal", 1)
    with pytest.raises(InvalidParameterValue, match="missing required properties \\['k'\\]"):
        ParamSpec("opts", Object([Property("k", "long")]), {})


def test_param_schema_round_trip_and_duplicates():
    schema = ParamSchema([
        ParamSpec("t", "double", 0.5),
        ParamSpec("ids", "long", [1, 2], (-1,)),
        ParamSpec("when", "datetime", datetime.datetime(2024, 1, 2, 3, 4, 5)),
        ParamSpec("opts", Object([Property("k", Array("string"))]), {"k": ["a"]}),
    ])
    text = schema.to_json()
    assert ParamSchema.from_json(text) == schema
    assert json.loads(text)[2]["default"] == "2024-01-02T03:04:05"
    assert json.loads(text)[1]["shape"] == [-1]
    # MLflow before 2.x wrote "dtype" rather than "type"; both read.
    assert ParamSchema.from_json('[{"name": "t", "dtype": "double", "default": 1.0}]').params[0].dtype is DataType.double
    with pytest.raises(InvalidParameterValue, match="duplicated params: \\['t'\\]"):
        ParamSchema([ParamSpec("t", "double", 0.5), ParamSpec("t", "long", 1)])
    with pytest.raises(InvalidParameterValue, match="'name', 'type' and 'default'"):
        ParamSchema.from_json('[{"name": "t", "type": "double"}]')
