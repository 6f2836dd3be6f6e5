"""The MLmodel file (``Model``), ``ModelInfo``, input examples, environment files and code paths."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from runyard.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from runyard.models import Model, ModelInfo, infer_signature
from runyard.models import environment
from runyard.models.input_example import load_input_example, load_input_example_params, save_example
from runyard.models.model_directory import add_code_to_path, copy_code_paths, prepare_save_path

# An MLmodel as MLflow 3.17.2 writes it for a logged scikit-learn model (observed, ids shortened).
MLFLOW_MLMODEL = """\
artifact_path: mlflow-artifacts:/3/models/m-54cd/artifacts
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.skops
    predict_fn: predict
    python_version: 3.11.7
  sklearn:
    code: null
    pickled_model: model.skops
    serialization_format: skops
    sklearn_version: 1.9.1
    skops_trusted_types: null
is_signature_from_type_hint: false
mlflow_version: 3.17.2
model_id: m-54cd
model_size_bytes: 1613
model_uuid: m-54cd
prompts: null
run_id: d938
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  serving_input_path: serving_input_example.json
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "a", "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
  params: null
type_hint_from_example: false
utc_time_created: '2026-11-28 00:40:15.460248'
"""


def test_mlflow_mlmodel_reads_and_writes_back_unchanged(tmp_path):
    (tmp_path / "MLmodel").write_text(MLFLOW_MLMODEL)
    model = Model.load(tmp_path)
    assert (model.model_id, model.model_uuid, model.run_id) == ("m-54cd", "m-54cd", "d938")
    assert model.artifact_path == "mlflow-artifacts:/3/models/m-54cd/artifacts"
    assert model.flavors["sklearn"]["serialization_format"] == "skops"
    assert [c.name for c in model.get_input_schema().inputs] == ["a"]
    assert model.get_params_schema() is None
    assert model.model_size_bytes == 1613
    # Keys runyard has no field for (prompts) survive, and no runyard_version is invented.
    assert yaml.safe_load(model.to_yaml()) == yaml.safe_load(MLFLOW_MLMODEL)
    assert Model.load(f"file://{tmp_path}/MLmodel") == model


def test_new_model_round_trip_with_runyard_keys(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [1, 2]})
    signature = infer_signature(frame, np.array([0.5, 1.5]), params={"alpha": 0.1})
    model = Model(artifact_path="s3://b/models/m-1/artifacts", run_id="r1", model_id="m-1",
                  signature=signature, metadata={"team": "x"})
    model.add_flavor("python_function", loader_module="mlflow.sklearn").add_flavor("sklearn", pickled_model="m")
    model.save(tmp_path / "MLmodel")
    written = yaml.safe_load((tmp_path / "MLmodel").read_text())
    assert written["model_uuid"] == written["model_id"] == "m-1"
    assert written["mlflow_version"] == "3.17.2" and written["runyard_version"]
    assert written["is_signature_from_type_hint"] is False and written["type_hint_from_example"] is False
    assert set(json.loads(written["signature"]["params"])[0]) == {"name", "type", "default", "shape"}
    assert len(written["utc_time_created"]) == len("2026-11-28 00:40:15.460248")
    loaded = Model.load(tmp_path / "MLmodel")
    assert loaded == model
    assert loaded.get_params_schema().params[0].name == "alpha"
    assert loaded.metadata == {"team": "x"}


def test_none_fields_are_left_out_but_model_id_stays():
    written = Model().to_dict()
    assert written["model_id"] is None and len(written["model_uuid"]) == 32
    for key in ("artifact_path", "run_id", "signature", "saved_input_example_info", "metadata", "model_size_bytes"):
        assert key not in written


def test_load_errors_are_clear(tmp_path):
    with pytest.raises(ResourceDoesNotExist, match="MLmodel"):
        Model.load(tmp_path)
    with pytest.raises(InvalidParameterValue, match="not a local path"):
        Model.load("runs:/abc/model")
    with pytest.raises(InvalidParameterValue, match='"sklearn" flavor'):
        Model().flavor_conf("sklearn")


def test_model_info_attributes():
    class Logged:  # the LoggedModel attributes ModelInfo reads
        model_id, name, params, tags, metrics, creation_timestamp = "m-9", "model", {"p": "1"}, {"t": "v"}, (), 5

    model = Model(run_id="r", model_id="m-9", artifact_path="file:///x")
    info = model.get_model_info(Logged())
    assert isinstance(info, ModelInfo)
    assert (info.model_uri, info.model_id, info.name, info.run_id) == ("models:/m-9", "m-9", "model", "r")
    assert (info.params, info.tags, info.metrics, info.creation_timestamp) == ({"p": "1"}, {"t": "v"}, [], 5)
    assert info.flavors == {} and info.mlflow_version == "3.17.2"
    assert Model(run_id="r", artifact_path="model").get_model_info().model_uri == "runs:/r/model"


# -- input examples ---------------------------------------------------------------------------------
def _saved(tmp_path, example):
    model = Model()
    save_example(model, example, str(tmp_path))
    stored = json.loads((tmp_path / "input_example.json").read_text())
    serving = json.loads((tmp_path / "serving_input_example.json").read_text())
    return model, stored, serving


def test_dataframe_example_in_split_orient_without_index(tmp_path):
    frame = pd.DataFrame({"a": [1, 2], "s": ["x", "y"], "f": [0.5, 1.5]}, index=[7, 9])
    model, stored, serving = _saved(tmp_path, frame)
    assert stored == {"columns": ["a", "s", "f"], "data": [[1, "x", 0.5], [2, "y", 1.5]]}
    assert serving == {"dataframe_split": stored}
    assert model.saved_input_example_info == {"artifact_path": "input_example.json", "type": "dataframe",
                                              "pandas_orient": "split",
                                              "serving_input_path": "serving_input_example.json"}
    pd.testing.assert_frame_equal(load_input_example(model, str(tmp_path)), frame.reset_index(drop=True))


def test_ndarray_json_and_params_examples(tmp_path):
    (tmp_path / "a").mkdir()
    model, stored, serving = _saved(tmp_path / "a", np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert stored == [[1.0, 2.0], [3.0, 4.0]] and serving == {"inputs": stored}
    assert model.saved_input_example_info["type"] == "ndarray"
    np.testing.assert_array_equal(load_input_example(model, str(tmp_path / "a")), [[1.0, 2.0], [3.0, 4.0]])

    (tmp_path / "b").mkdir()
    model, stored, serving = _saved(tmp_path / "b", {"q": "hi", "n": np.int64(3)})
    assert stored == {"q": "hi", "n": 3} and model.saved_input_example_info["type"] == "json_object"

    (tmp_path / "c").mkdir()
    model, stored, serving = _saved(tmp_path / "c", (pd.DataFrame({"a": [1]}), {"p": 1}))
    assert stored == {"inputs": {"columns": ["a"], "data": [[1]]}, "params": {"p": 1}}
    assert serving == {"dataframe_split": {"columns": ["a"], "data": [[1]]}, "params": {"p": 1}}
    assert model.saved_input_example_info["params"] == "true"
    assert load_input_example_params(model, str(tmp_path / "c")) == {"p": 1}
    assert list(load_input_example(model, str(tmp_path / "c")).columns) == ["a"]


# -- environment -----------------------------------------------------------------------------------
def test_default_environment_files(tmp_path):
    env = environment.write_environment(str(tmp_path), [environment.pinned("numpy"), "not-installed-pkg"])
    assert env == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    assert (tmp_path / "requirements.txt").read_text().splitlines() == [f"numpy=={np.__version__}",
                                                                       "not-installed-pkg"]
    conda = yaml.safe_load((tmp_path / "conda.yaml").read_text())
    assert conda["channels"] == ["conda-forge"] and conda["name"] == "mlflow-env"
    assert conda["dependencies"][0] == "python=" + ".".join(map(str, sys.version_info[:3]))
    assert conda["dependencies"][-1] == {"pip": [f"numpy=={np.__version__}", "not-installed-pkg"]}
    python_env = yaml.safe_load((tmp_path / "python_env.yaml").read_text())
    assert python_env["python"] == ".".join(map(str, sys.version_info[:3]))
    assert python_env["dependencies"] == ["-r requirements.txt"]
    assert python_env["build_dependencies"][-1] == "wheel"


def test_pip_requirements_extra_and_conda_env(tmp_path, monkeypatch):
    _, reqs, _ = environment.resolve_requirements(["numpy==1", "pandas==2"], pip_requirements=["torch"])
    assert reqs == ["torch"]
    _, reqs, _ = environment.resolve_requirements(["numpy==1", "pandas==2"],
                                                  extra_pip_requirements=["numpy>=2", "xgboost"])
    assert reqs == ["pandas==2", "numpy>=2", "xgboost"]
    req_file = tmp_path / "reqs.txt"
    req_file.write_text("# pinned\nscipy==1.0\n\n-c cons.txt\n")
    (tmp_path / "cons.txt").write_text("numpy<3\n")
    monkeypatch.chdir(tmp_path)
    _, reqs, constraints = environment.resolve_requirements([], pip_requirements=str(req_file))
    assert reqs == ["scipy==1.0", "-c constraints.txt"] and constraints == ["numpy<3"]
    conda = {"name": "e", "dependencies": ["python=3.11", {"pip": ["a==1"]}]}
    env, reqs, _ = environment.resolve_requirements(["numpy==1"], conda_env=conda)
    assert env == conda and reqs == ["a==1"]
    with pytest.raises(InvalidParameterValue, match="Only one of conda_env, pip_requirements"):
        environment.resolve_requirements([], pip_requirements=["a"], extra_pip_requirements=["b"])
    with pytest.raises(InvalidParameterValue, match="pip_requirements"):
        environment.resolve_requirements([], pip_requirements=str(tmp_path / "missing.txt"))


def test_distribution_of_modules():
    assert environment.distribution_of("sklearn.linear_model") == "scikit-learn"
    assert environment.distribution_of("yaml") == "PyYAML"
    assert environment.distribution_of("numpy") == "numpy"
    for module in ("os", "json", "runyard", "mlflow", "__main__", "no_such_module_xyz"):
        assert environment.distribution_of(module) is None


# -- directory and code paths -----------------------------------------------------------------------
def test_save_path_must_be_new_or_empty(tmp_path):
    assert prepare_save_path(tmp_path / "new") == str(tmp_path / "new")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(ResourceAlreadyExists, match="already exists and is not empty"):
        prepare_save_path(tmp_path / "full")


def test_code_paths_are_copied_and_put_on_sys_path(tmp_path, monkeypatch):
    pkg = tmp_path / "src" / "helpers_pkg_for_test"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("VALUE = 42\n")
    (tmp_path / "src" / "single_module_for_test.py").write_text("X = 1\n")
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    code = copy_code_paths([str(pkg), str(tmp_path / "src" / "single_module_for_test.py")], str(model_dir))
    assert code == "code"
    assert sorted(os.listdir(model_dir / "code")) == ["helpers_pkg_for_test", "single_module_for_test.py"]
    monkeypatch.setattr(sys, "path", list(sys.path))
    add_code_to_path(str(model_dir), {"code": code})
    assert sys.path[0] == str(model_dir / "code")
    with pytest.raises(InvalidParameterValue, match="does not exist"):
        copy_code_paths([str(tmp_path / "nope")], str(model_dir))
    with pytest.raises(InvalidParameterValue, match="list of file or directory paths"):
        copy_code_paths(str(pkg), str(model_dir))
