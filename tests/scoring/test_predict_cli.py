"""``runyard models predict`` in this environment: the /invocations formats from a file or stdin."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

import runyard.pyfunc
from runyard.cli.main import cli


def _predict(*args, input_text=None):
    return CliRunner().invoke(cli, ["models", "predict", *args], input=input_text)


def _predictions(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["predictions"]


@pytest.fixture
def tracking_args(served_models):
    return ["--tracking-uri", served_models["tracking"]]


def test_json_csv_and_parquet_files(served_models, tracking_args, tmp_path, expected):
    rows = [(1.0, 1.0), (5.0, 0.0)]
    (tmp_path / "in.json").write_text(json.dumps({"dataframe_split": {"columns": ["a", "b"], "data": rows}}))
    frame = pd.DataFrame(rows, columns=["a", "b"])
    frame.to_csv(tmp_path / "in.csv", index=False)
    frame.to_parquet(tmp_path / "in.parquet")
    for name in ("in.json", "in.csv", "in.parquet"):
        got = _predictions(_predict("-m", served_models["sklearn"], "-i", str(tmp_path / name), *tracking_args))
        assert got == pytest.approx(expected(rows)), name


def test_content_type_overrides_the_extension_and_stdin_is_read(served_models, tracking_args, tmp_path, expected):
    (tmp_path / "rows.txt").write_text("a,b\n2.0,1.0\n")
    got = _predictions(_predict("-m", served_models["sklearn"], "-i", str(tmp_path / "rows.txt"), "-t", "csv",
                                *tracking_args))
    assert got == pytest.approx(expected([(2, 1)]))
    body = json.dumps({"dataframe_records": [{"a": 1.0, "b": 0.0}]})
    got = _predictions(_predict("-m", served_models["sklearn"], *tracking_args, input_text=body))
    assert got == pytest.approx(expected([(1, 0)]))


def test_params_and_output_file(served_models, tracking_args, tmp_path):
    body = {"dataframe_split": {"columns": ["x"], "data": [[1.0], [2.0]]}, "params": {"factor": 3.0}}
    (tmp_path / "in.json").write_text(json.dumps(body))
    out = tmp_path / "out.json"
    result = _predict("-m", served_models["scaled"], "-i", str(tmp_path / "in.json"), "-o", str(out),
                      *tracking_args)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert json.loads(out.read_text()) == {"predictions": [{"scaled": 3.0}, {"scaled": 6.0}]}


@pytest.mark.parametrize("body, message", [
    ("{not json", "Error: Invalid input. Ensure the input is valid JSON"),
    ('{"rows": []}', "Error: Invalid input. The input must contain exactly one of the keys"),
])
def test_bad_input_is_one_error_line(served_models, tracking_args, tmp_path, body, message):
    (tmp_path / "in.json").write_text(body)
    result = _predict("-m", served_models["sklearn"], "-i", str(tmp_path / "in.json"), *tracking_args)
    assert result.exit_code == 1
    assert result.output.startswith(message)
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_schema_violation_and_missing_input_and_conda(served_models, tracking_args, tmp_path):
    (tmp_path / "in.json").write_text(json.dumps({"dataframe_records": [{"a": 1.0}]}))
    result = _predict("-m", served_models["sklearn"], "-i", str(tmp_path / "in.json"), *tracking_args)
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "b" in result.output
    result = _predict("-m", served_models["sklearn"], "-i", str(tmp_path / "missing.json"), *tracking_args)
    assert result.exit_code == 2 and "is not a file" in result.output
    result = _predict("-m", served_models["sklearn"], "-i", str(tmp_path / "in.json"), "--env-manager", "conda")
    assert result.exit_code == 2 and "--env-manager conda is not supported" in result.output


def test_a_failing_model_is_one_error_line(tmp_path):
    runyard.pyfunc.save_model(tmp_path / "broken", python_model=_Broken())
    (tmp_path / "in.json").write_text(json.dumps({"inputs": [1, 2]}))
    result = _predict("-m", str(tmp_path / "broken"), "-i", str(tmp_path / "in.json"))
    assert result.exit_code == 1
    assert result.output.strip() == "Error: The model failed to predict: RuntimeError('no luck')"


class _Broken(runyard.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        raise RuntimeError("no luck")
