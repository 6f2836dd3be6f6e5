"""A frame that already fits its column schema (exactly the schema's columns, in order, each of its
numpy dtype: the usual scoring request) skips the column-by-column rebuild. These tests hold the
shortcut to what the general path and MLflow return, and check that every other frame still goes
the general way (warnings, refusals, conversions)."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

from runyard.errors import InvalidParameterValue
from runyard.models import ColSpec, Schema, enforce_schema
from runyard.models.enforcement import _already_fits, _enforce_named_columns
from runyard.models.pyfunc import PythonModel

HOUSING = ["MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude", "Longitude"]
DOUBLES = Schema([ColSpec("double", name) for name in HOUSING])
MIXED = Schema([ColSpec("long", "a"), ColSpec("integer", "b"), ColSpec("float", "c"), ColSpec("double", "d"),
                ColSpec("boolean", "e"), ColSpec("datetime", "f")])


def _mixed_frame(index=None) -> pd.DataFrame:
    return pd.DataFrame({
        "a": np.array([1, 2], dtype=np.int64), "b": np.array([3, 4], dtype=np.int32),
        "c": np.array([0.5, 1.5], dtype=np.float32), "d": [2.25, -1.0], "e": [True, False],
        "f": pd.to_datetime(["2024-01-01", "2024-02-03"]).astype("datetime64[ns]"),
    }, index=index)


FITTING = {
    "housing, 1 row": (pd.DataFrame([np.linspace(0.5, 4.0, 8)], columns=HOUSING), DOUBLES),
    "housing, 100 rows": (pd.DataFrame(np.random.default_rng(0).normal(size=(100, 8)), columns=HOUSING), DOUBLES),
    "every numpy type": (_mixed_frame(), MIXED),
    "labelled index": (_mixed_frame(index=["x", "y"]), MIXED),
    "no rows": (pd.DataFrame(np.empty((0, 8)), columns=HOUSING), DOUBLES),
}


@pytest.mark.parametrize("name", FITTING)
def test_a_fitting_frame_comes_out_as_the_general_path_makes_it(name):
    frame, schema = FITTING[name]
    assert _already_fits(frame, schema)
    before = frame.copy(deep=True)
    result = enforce_schema(frame, schema)
    pd.testing.assert_frame_equal(result, _enforce_named_columns(frame, schema))
    assert result is not frame
    assert result.attrs == {}
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize("name", ["housing, 1 row", "every numpy type", "labelled index"])
def test_a_fitting_frame_comes_out_as_mlflow_makes_it(name):
    from mlflow.models.utils import _enforce_schema
    from mlflow.types import Schema as MlflowSchema

    frame, schema = FITTING[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _enforce_schema(frame, MlflowSchema.from_json(schema.to_json()))
    pd.testing.assert_frame_equal(enforce_schema(frame, schema), expected)


def test_changing_the_result_leaves_the_callers_frame_alone():
    frame = pd.DataFrame([np.linspace(0.5, 4.0, 8)], columns=HOUSING)
    frame.attrs["source"] = "request"
    result = enforce_schema(frame, DOUBLES)
    result.iloc[0, 0] = 99.0
    result["MedInc"] *= 2
    assert frame.iloc[0, 0] == 0.5
    assert frame.attrs == {"source": "request"} and result.attrs == {}


NOT_FITTING = {
    "columns reordered": lambda: pd.DataFrame([np.arange(8.0)], columns=HOUSING[::-1]),
    "an extra column": lambda: pd.DataFrame([np.arange(9.0)], columns=[*HOUSING, "extra"]),
    "a column missing": lambda: pd.DataFrame([np.arange(7.0)], columns=HOUSING[:7]),
    "an int64 column": lambda: pd.DataFrame([np.arange(8.0) * 7], columns=HOUSING).astype({"HouseAge": np.int64}),
    "a float32 column": lambda: pd.DataFrame([np.arange(8.0)], columns=HOUSING).astype({"HouseAge": np.float32}),
    "a nullable Float64 column": lambda: pd.DataFrame([np.arange(8.0)], columns=HOUSING).astype({"AveRooms": "Float64"}),
    "an object column": lambda: pd.DataFrame([np.arange(8.0)], columns=HOUSING).astype({"AveRooms": object}),
    "a named column index": lambda: pd.DataFrame([np.arange(8.0)], columns=pd.Index(HOUSING, name="features")),
    "duplicated columns": lambda: pd.DataFrame([np.arange(8.0)], columns=[HOUSING[0]] * 8),
}


@pytest.mark.parametrize("name", NOT_FITTING)
def test_other_frames_take_the_general_path(name):
    assert not _already_fits(NOT_FITTING[name](), DOUBLES)


def test_the_general_path_still_selects_converts_warns_and_refuses(caplog):
    frame = NOT_FITTING["columns reordered"]()
    result = enforce_schema(frame, DOUBLES)
    assert list(result.columns) == HOUSING and result["MedInc"].iloc[0] == 7.0

    with caplog.at_level(logging.WARNING, logger="runyard.models.enforcement"):
        result = enforce_schema(NOT_FITTING["an extra column"](), DOUBLES)
    assert list(result.columns) == HOUSING
    assert "Ignoring inputs ['extra']" in caplog.text

    result = enforce_schema(NOT_FITTING["a float32 column"](), DOUBLES)
    assert result["HouseAge"].dtype == np.float64

    result = enforce_schema(NOT_FITTING["a nullable Float64 column"](), DOUBLES)
    assert result["AveRooms"].dtype == np.float64

    with pytest.raises(InvalidParameterValue, match="'Longitude'"):
        enforce_schema(NOT_FITTING["a column missing"](), DOUBLES)
    with pytest.raises(InvalidParameterValue, match="'HouseAge'.*int64"):
        enforce_schema(NOT_FITTING["an int64 column"](), DOUBLES)


class _Mutating(PythonModel):
    """Writes into its input, as some preprocessing code does."""

    def predict(self, context, model_input, params=None):
        model_input["MedInc"] = 0.0
        return model_input.sum(axis=1)


def test_a_model_that_changes_its_input_does_not_change_the_callers_frame(tmp_path):
    from runyard.flavors import python_model as flavor
    from runyard.flavors.loading import load_pyfunc
    from runyard.models import ModelSignature

    flavor.save_model(tmp_path / "m", python_model=_Mutating(), signature=ModelSignature(inputs=DOUBLES))
    model = load_pyfunc(str(tmp_path / "m"))
    frame = pd.DataFrame([np.linspace(0.5, 4.0, 8)], columns=HOUSING)
    before = frame.copy(deep=True)
    got = model.predict(frame)
    assert float(np.asarray(got)[0]) == pytest.approx(float(frame.sum(axis=1).iloc[0]) - 0.5)
    pd.testing.assert_frame_equal(frame, before)
