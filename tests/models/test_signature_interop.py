"""Signatures cross between runyard and MLflow 3.17.2 in both directions, byte for byte, and
runyard's infer_signature writes the JSON MLflow's writes for the same data."""

from __future__ import annotations

import datetime
import types
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse

import runyard.models.schema as runyard_schema
import runyard.models.signature as runyard_signature


_NAMES = ("AnyType", "Array", "ColSpec", "DataType", "Map", "Object", "ParamSchema", "ParamSpec",
          "Property", "Schema", "TensorSpec")


def _namespace(schema_module, signature_module) -> types.SimpleNamespace:
    """The same public names from either library, so one builder makes the same signature in both."""
    names = {name: getattr(schema_module, name) for name in _NAMES}
    return types.SimpleNamespace(ModelSignature=signature_module.ModelSignature, **names)


def _mlflow() -> types.SimpleNamespace:
    import mlflow.models.signature
    import mlflow.types.schema

    return _namespace(mlflow.types.schema, mlflow.models.signature)


def _runyard() -> types.SimpleNamespace:
    return _namespace(runyard_schema, runyard_signature)


def _dataframe_signature(m):
    return m.ModelSignature(
        m.Schema([
            m.ColSpec(m.DataType.long, "age"),
            m.ColSpec(m.DataType.double, "income", required=False),
            m.ColSpec(m.DataType.string, "city"),
            m.ColSpec(m.DataType.boolean, "member"),
            m.ColSpec(m.DataType.datetime, "joined", required=False),
            m.ColSpec(m.DataType.binary, "photo", required=False),
            m.ColSpec(m.DataType.integer, "visits"),
            m.ColSpec(m.DataType.float, "score"),
        ]),
        m.Schema([m.ColSpec(m.DataType.double, "prediction")]),
    )


def _tensor_signature(m):
    return m.ModelSignature(
        m.Schema([m.TensorSpec(np.dtype("float32"), (-1, 28, 28), "image"),
                  m.TensorSpec(np.dtype("int64"), (-1,), "ids")]),
        m.Schema([m.TensorSpec(np.dtype("float64"), (-1, 10))]),
    )


def _string_signature(m):
    return m.ModelSignature(m.Schema([m.ColSpec(m.DataType.string)]),
                            m.Schema([m.TensorSpec(np.dtype("str"), (-1,))]))


def _nested_signature(m):
    message = m.Object([m.Property("role", m.DataType.string), m.Property("content", m.DataType.string),
                        m.Property("name", m.DataType.string, required=False)])
    return m.ModelSignature(m.Schema([
        m.ColSpec(m.Array(message), "messages"),
        m.ColSpec(m.Map(m.DataType.double), "weights", required=False),
        m.ColSpec(m.Map(m.Array(m.AnyType())), "extra", required=False),
        m.ColSpec(m.Object([m.Property("k", m.Array(m.Array(m.DataType.long)))]), "grid"),
        m.ColSpec(m.AnyType(), "anything", required=False),
    ]))


def _params_signature(m):
    return m.ModelSignature(
        m.Schema([m.ColSpec(m.DataType.string, "prompt")]),
        params=m.ParamSchema([
            m.ParamSpec("temperature", m.DataType.float, 0.5),
            m.ParamSpec("top_k", m.DataType.long, 40),
            m.ParamSpec("greedy", m.DataType.boolean, False),
            m.ParamSpec("stop", m.DataType.string, ["\n", "###"], (-1,)),
            m.ParamSpec("weights", m.DataType.double, [0.25, 0.75], (-1,)),
            m.ParamSpec("seed", m.DataType.integer, None),
            m.ParamSpec("as_of", m.DataType.datetime, datetime.date(2024, 3, 4)),
            m.ParamSpec("when", m.DataType.datetime, [datetime.datetime(2024, 3, 4, 5, 6)], (-1,)),
            m.ParamSpec("options", m.Object([m.Property("beam", m.DataType.long),
                                             m.Property("tags", m.Array(m.DataType.string), required=False)]),
                        {"beam": 2}),
        ]),
    )


BUILDERS = [_dataframe_signature, _tensor_signature, _string_signature, _nested_signature, _params_signature]


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__.strip("_"))
def test_runyard_signature_reads_in_mlflow(build):
    ours, theirs = build(_runyard()), build(_mlflow())
    written = ours.to_dict()
    assert written == theirs.to_dict()  # the same JSON strings, byte for byte
    read = _mlflow().ModelSignature.from_dict(written)
    assert read == theirs
    assert read.to_dict() == written


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__.strip("_"))
def test_mlflow_signature_reads_in_runyard(build):
    ours, theirs = build(_runyard()), build(_mlflow())
    read = runyard_signature.ModelSignature.from_dict(theirs.to_dict())
    assert read == ours
    assert read.to_dict() == theirs.to_dict()


def _example_inputs():
    frame = pd.DataFrame({
        "a": [1, 2], "b": [1.5, np.nan], "c": ["x", None], "d": [True, False],
        "e": np.array([1, 2], dtype=np.int32), "f": np.array([1, 2], dtype=np.float32),
        "g": pd.to_datetime(["2020-01-01", "2020-01-02"]), "h": [b"a", b"b"],
        "k": [[1, 2], [3]], "l": [{"x": 1}, {"x": 2, "y": "s"}],
    })
    return {
        "dataframe": (frame,),
        "dataframe_int_columns": (pd.DataFrame(np.zeros((2, 3))),),
        "nullable_dtypes": (pd.DataFrame({"i": pd.array([1, None], dtype="Int64"),
                                          "s": pd.array(["x", None], dtype="string"),
                                          "b": pd.array([True, None], dtype="boolean")}),),
        "categorical": (pd.DataFrame({"c": pd.Categorical(["x", "y"])}),),
        "series": (pd.Series([1.0, 2.0], name="y"),),
        "ndarray_2d": (np.zeros((3, 4), dtype=np.float32),),
        "ndarray_3d": (np.zeros((2, 3, 4), dtype=np.uint8),),
        "ndarray_str": (np.array(["a", "bb"]),),
        "ndarray_object": (np.array(["a", 1], dtype=object),),
        "dict_of_arrays": ({"a": np.zeros((2, 3)), "b": np.zeros(2, dtype=np.int8)},),
        "sparse": (scipy.sparse.csr_matrix(np.eye(3)),),
        "string": ("hello",),
        "list_of_strings": (["a", "b"],),
        "empty_list": ([],),
        "list_of_lists": ([[1, 2], [3, 4]],),
        "dict_of_scalars": ({"a": 1, "b": "x", "c": 1.5, "d": True, "e": None},),
        "dict_of_columns": ({"a": [1, 2], "b": ["x", "y"]},),
        "records": ([{"a": 1, "b": "x"}, {"a": 2}],),
        "nested_records": ([{"a": {"x": 1}, "t": [{"u": 1}]}, {"a": {"y": "s"}, "t": []}],),
        "uninferable": (pd.DataFrame({"u": np.array([1], dtype=np.uint64)}),),
        "mixed_list": ([1, "a"],),
        "with_outputs": (frame[["a"]], np.array([1, 2])),
        "series_output": (frame[["a"]], pd.Series([0.5, 1.0])),
        "list_output": (["q"], ["answer"]),
        "params": (["q"], None, {
            "t": 0.5, "n": 3, "s": "x", "b": True, "l": [1, 2], "ls": ["a"], "arr": np.array([1.5, 2.5]),
            "day": np.datetime64("2020-01-01"), "at": datetime.datetime(2020, 1, 2, 3, 4),
            "f32": np.float32(1.5), "i32": np.int32(3), "obj": {"x": 1, "y": [1, 2]},
        }),
    }


@pytest.mark.parametrize("name", sorted(_example_inputs()))
def test_infer_signature_writes_what_mlflow_writes(name):
    from mlflow.models import infer_signature as mlflow_infer_signature

    args = _example_inputs()[name]
    with warnings.catch_warnings():
        # MLflow's own hints (integer columns) are UserWarnings; the comparison is about the JSON.
        warnings.simplefilter("ignore")
        expected = mlflow_infer_signature(*args).to_dict()
    assert runyard_signature.infer_signature(*args).to_dict() == expected
