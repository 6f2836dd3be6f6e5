"""The PyTorch flavor: ``torch.export`` (pt2) by default where the input example allows, pickled
otherwise or on request, MLflow's flavor keys, pyfunc predictions (DataFrame, numpy, tensors,
device), state dicts, model URIs, and models crossing to and from mlflow 3.17.2 in both formats."""

from __future__ import annotations

import importlib
import logging
import os

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

import runyard
from runyard.errors import InvalidParameterValue
from runyard.flavors import pytorch as flavor
from runyard.models import ModelSignature, Schema, TensorSpec
from tests.models.mlflow_interop import interop, mlflow  # noqa: F401 - the fixture

_TORCH_VERSION = str(torch.__version__)


@pytest.fixture(autouse=True)
def own_store(tracking):
    """Even a local model path resolves through the current tracking store: a fresh one per test,
    not whatever store the working directory holds."""
    return tracking


class Regressor(torch.nn.Module):
    """A module class of its own (pickled by reference), with dropout to tell train from eval mode."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = torch.nn.Linear(3, 8)
        self.drop = torch.nn.Dropout(0.5)
        self.out = torch.nn.Linear(8, 1)

    def forward(self, x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
        return self.out(self.drop(torch.relu(self.hidden(x)))) * scale


class TwoInputs(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = torch.nn.Linear(3, 1)
        self.b = torch.nn.Linear(2, 1)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.a(x) + self.b(z)


def _sequential() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))


def _X(rows: int = 6) -> np.ndarray:
    return np.random.default_rng(3).normal(size=(rows, 3)).astype(np.float32)


def _predict(model: torch.nn.Module, X: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(X)).numpy()


def _mlmodel(path) -> dict:
    with open(os.path.join(path, "MLmodel"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def _data_files(path) -> list[str]:
    return sorted(os.listdir(os.path.join(path, "data")))


def test_tensor_example_saves_an_exported_program_with_mlflow_keys(tmp_path):
    model, X = _sequential(), _X()
    flavor.save_model(model, tmp_path / "m", input_example=X[:4])
    meta = _mlmodel(tmp_path / "m")
    assert meta["flavors"]["pytorch"] == {"model_data": "data", "pytorch_version": _TORCH_VERSION, "code": None}
    assert meta["flavors"]["python_function"] == {
        "loader_module": "mlflow.pytorch", "python_version": meta["flavors"]["python_function"]["python_version"],
        "data": "data", "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
        "config": {"device": None}, "pickle_module_name": "mlflow.pytorch.pickle_module"}
    assert _data_files(tmp_path / "m") == ["model.pt2"]
    assert meta["signature"]["inputs"] == '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]'
    with open(tmp_path / "m" / "requirements.txt", encoding="utf-8") as f:
        assert f.read().splitlines()[0] == f"torch=={_TORCH_VERSION.split('+')[0]}"
    expected = _predict(model, X)
    np.testing.assert_allclose(_predict(runyard.pytorch.load_model(str(tmp_path / "m")), X), expected, rtol=1e-6)
    pyfunc_model = runyard.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(pyfunc_model.predict(X), expected, rtol=1e-6)  # batch size other than the example's
    frame = pd.DataFrame(X, columns=["a", "b", "c"], index=range(10, 16))
    predicted = pyfunc_model.predict(frame)
    np.testing.assert_allclose(np.asarray(predicted).reshape(-1), expected.reshape(-1), rtol=1e-6)


def test_torch_tensor_example_is_written_as_an_array(tmp_path):
    model, X = _sequential(), _X()
    flavor.save_model(model, tmp_path / "m", input_example=torch.from_numpy(X[:3]))
    meta = _mlmodel(tmp_path / "m")
    assert meta["saved_input_example_info"]["type"] == "ndarray" and "python_function" in meta["flavors"]
    assert _data_files(tmp_path / "m") == ["model.pt2"]
    model_ = runyard.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(model_.predict(model_.input_example), _predict(model, X[:3]), rtol=1e-6)


def test_without_a_tensor_example_the_model_is_pickled(tmp_path, caplog):
    model, X = Regressor(), _X()
    with caplog.at_level(logging.WARNING, logger="runyard.flavors.pytorch"):
        flavor.save_model(model, tmp_path / "m")
    assert "pickled" in caplog.text
    assert model.training  # the caller's module keeps its mode
    assert _data_files(tmp_path / "m") == ["model.pth", "pickle_module_info.txt"]
    with open(tmp_path / "m" / "data" / "pickle_module_info.txt", encoding="utf-8") as f:
        assert f.read() == "mlflow.pytorch.pickle_module"
    with open(tmp_path / "m" / "requirements.txt", encoding="utf-8") as f:
        assert any(line.startswith("cloudpickle==") for line in f.read().splitlines())
    loaded = runyard.pytorch.load_model(str(tmp_path / "m"))
    assert isinstance(loaded, Regressor) and not loaded.training  # loaded for inference: dropout off
    model.eval()
    np.testing.assert_allclose(_predict(loaded, X), _predict(model, X))
    np.testing.assert_allclose(runyard.pyfunc.load_model(str(tmp_path / "m")).predict(X), _predict(model, X))


def test_pt2_is_exported_in_eval_mode(tmp_path):
    model, X = Regressor(), _X()
    flavor.save_model(model, tmp_path / "m", input_example=X[:4], serialization_format="pt2")
    assert model.training
    loaded = runyard.pytorch.load_model(str(tmp_path / "m"))
    model.eval()
    np.testing.assert_allclose(_predict(loaded, X), _predict(model, X), rtol=1e-6)  # dropout off: deterministic


def test_pickle_on_request_float64_input_and_forward_params(tmp_path):
    model, X = Regressor().eval(), _X()
    signature = runyard.models.infer_signature(X, _predict(model, X), params={"scale": 1.0})
    flavor.save_model(model, tmp_path / "m", serialization_format="pickle", signature=signature)
    assert _data_files(tmp_path / "m") == ["model.pth", "pickle_module_info.txt"]
    pyfunc_model = runyard.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(pyfunc_model.predict(X, params={"scale": 2.0}), 2 * _predict(model, X), rtol=1e-6)
    raw = pyfunc_model.get_raw_model()
    wrapper = flavor._PyTorchWrapper(raw, "cpu")  # the pyfunc face without a signature: any float, tensors
    np.testing.assert_allclose(wrapper.predict(X.astype(np.float64)), _predict(model, X), rtol=1e-6)
    np.testing.assert_allclose(wrapper.predict(torch.from_numpy(X)), _predict(model, X), rtol=1e-6)
    with pytest.raises(InvalidParameterValue, match="'device' is not a predict parameter"):
        wrapper.predict(X, params={"device": "cpu"})
    with pytest.raises(InvalidParameterValue, match="DataFrame, a numpy array or a torch Tensor"):
        wrapper.predict([[1.0, 2.0, 3.0]])


def test_prediction_device_from_model_config_and_environment(tmp_path, monkeypatch):
    model, X = _sequential(), _X()
    flavor.save_model(model, tmp_path / "m", input_example=X[:4])
    flavor.save_model(model, tmp_path / "p", serialization_format="pickle")
    for path in (tmp_path / "m", tmp_path / "p"):
        loaded = runyard.pyfunc.load_model(str(path), model_config={"device": "cpu"})
        assert loaded._model_impl.device == "cpu"
        np.testing.assert_allclose(loaded.predict(X), _predict(model, X), rtol=1e-6)
    monkeypatch.setenv("MLFLOW_DEFAULT_PREDICTION_DEVICE", "cpu")
    assert runyard.pyfunc.load_model(str(tmp_path / "p"))._model_impl.device == "cpu"


def test_several_tensor_inputs_export_without_a_pyfunc_flavor(tmp_path):
    torch.manual_seed(1)
    model, X, Z = TwoInputs(), _X(), np.ones((6, 2), dtype=np.float32)
    signature = ModelSignature(Schema([TensorSpec(np.dtype("float32"), (-1, 3), "x"),
                                       TensorSpec(np.dtype("float32"), (-1, 2), "z")]))
    flavor.save_model(model, tmp_path / "m", input_example=(X[:4], Z[:4]), signature=signature)
    meta = _mlmodel(tmp_path / "m")
    assert set(meta["flavors"]) == {"pytorch"} and "saved_input_example_info" not in meta
    loaded = runyard.pytorch.load_model(str(tmp_path / "m"))
    with torch.no_grad():
        np.testing.assert_allclose(loaded(torch.from_numpy(X), torch.from_numpy(Z)),
                                   model(torch.from_numpy(X), torch.from_numpy(Z)), rtol=1e-6)


def test_bad_arguments_are_refused(tmp_path):
    model = _sequential()
    with pytest.raises(InvalidParameterValue, match="serialization_format='pt2'.*input_example of tensors"):
        flavor.save_model(model, tmp_path / "a", serialization_format="pt2")
    with pytest.raises(InvalidParameterValue, match="input_example of tensors"):
        flavor.save_model(model, tmp_path / "b", serialization_format="pt2",
                          input_example=pd.DataFrame(_X(), columns=["a", "b", "c"]))
    columns = runyard.models.infer_signature(pd.DataFrame(_X(), columns=["a", "b", "c"]))
    with pytest.raises(InvalidParameterValue, match="TensorSpecs"):
        flavor.save_model(model, tmp_path / "b2", serialization_format="pt2", input_example=_X(), signature=columns)
    with pytest.raises(InvalidParameterValue, match="export_model=True and serialization_format='pickle'"):
        flavor.save_model(model, tmp_path / "c", export_model=True, serialization_format="pickle")
    with pytest.raises(InvalidParameterValue, match="serialization_format must be one of"):
        flavor.save_model(model, tmp_path / "d", serialization_format="onnx")
    with pytest.raises(InvalidParameterValue, match="torch.nn.Module"):
        flavor.save_model(object(), tmp_path / "e")
    with pytest.warns(FutureWarning, match="export_model"):
        flavor.save_model(model, tmp_path / "f", export_model=True, input_example=_X())
    assert _data_files(tmp_path / "f") == ["model.pt2"]


def test_code_paths_and_extra_files(tmp_path):
    (tmp_path / "helper.py").write_text("VALUE = 1\n")
    (tmp_path / "vocab.txt").write_text("a\nb\n")
    flavor.save_model(_sequential(), tmp_path / "m", code_paths=[str(tmp_path / "helper.py")],
                      extra_files=[str(tmp_path / "vocab.txt")], serialization_format="pickle")
    conf = _mlmodel(tmp_path / "m")["flavors"]["pytorch"]
    assert conf["code"] == "code" and conf["extra_files"] == [{"path": "extra_files/vocab.txt"}]
    assert (tmp_path / "m" / "extra_files" / "vocab.txt").read_text() == "a\nb\n"
    assert (tmp_path / "m" / "code" / "helper.py").is_file()


def test_log_model_and_state_dict_by_uri(tracking):
    model, X = _sequential(), _X()
    with runyard.start_run() as run:
        info = runyard.pytorch.log_model(model, name="model", input_example=X[:4])
        runyard.pytorch.log_state_dict(model.state_dict(), artifact_path="weights")
    assert info.flavors["pytorch"]["model_data"] == "data"
    np.testing.assert_allclose(runyard.pyfunc.load_model(info.model_uri).predict(X), _predict(model, X), rtol=1e-6)
    loaded = runyard.pytorch.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_allclose(_predict(loaded, X), _predict(model, X), rtol=1e-6)
    state = runyard.pytorch.load_state_dict(f"runs:/{run.info.run_id}/weights")
    fresh = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    fresh.load_state_dict(state)
    np.testing.assert_allclose(_predict(fresh, X), _predict(model, X))
    with pytest.raises(InvalidParameterValue, match="state_dict must be a dict"):
        runyard.pytorch.save_state_dict(model, "unused")


# -- interop with mlflow 3.17.2 --------------------------------------------------------------------
@pytest.fixture(scope="module")
def mlflow_pytorch(mlflow):
    return importlib.import_module("mlflow.pytorch")


def _mlflow_save(mlflow_pytorch, model, path, fmt):
    kwargs = {"input_example": _X()[:4]} if fmt == "pt2" else {"serialization_format": "pickle"}
    mlflow_pytorch.save_model(model, path, pip_requirements=["torch"], **kwargs)


@interop
@pytest.mark.parametrize("fmt", ["pt2", "pickle"])
def test_mlflow_saved_pytorch_models_load_in_runyard(mlflow, mlflow_pytorch, tmp_path, fmt):
    model, X = _sequential(), _X()
    _mlflow_save(mlflow_pytorch, model, tmp_path / "m", fmt)
    assert _data_files(tmp_path / "m")[0] == ("model.pt2" if fmt == "pt2" else "model.pth")
    expected = np.asarray(mlflow.pyfunc.load_model(str(tmp_path / "m")).predict(X))
    np.testing.assert_allclose(expected, _predict(model, X), rtol=1e-6)
    np.testing.assert_allclose(runyard.pyfunc.load_model(str(tmp_path / "m")).predict(X), expected, rtol=1e-6)
    np.testing.assert_allclose(_predict(runyard.pytorch.load_model(str(tmp_path / "m")), X), expected, rtol=1e-6)


@interop
@pytest.mark.parametrize("fmt", ["pt2", "pickle"])
def test_runyard_saved_pytorch_models_load_in_mlflow(mlflow, mlflow_pytorch, tmp_path, fmt):
    model, X = Regressor().eval(), _X()
    kwargs = {"input_example": X[:4]} if fmt == "pt2" else {"serialization_format": "pickle"}
    runyard.pytorch.save_model(model, tmp_path / "m", **kwargs)
    expected = _predict(model, X)
    np.testing.assert_allclose(np.asarray(mlflow.pyfunc.load_model(str(tmp_path / "m")).predict(X)), expected,
                               rtol=1e-6)
    np.testing.assert_allclose(_predict(mlflow_pytorch.load_model(str(tmp_path / "m")), X), expected, rtol=1e-6)


@interop
def test_mlflow_and_runyard_write_the_same_keys(mlflow_pytorch, tmp_path):
    model, X = _sequential(), _X()
    for fmt in ("pt2", "pickle"):
        _mlflow_save(mlflow_pytorch, model, tmp_path / f"mlflow-{fmt}", fmt)
        kwargs = {"input_example": X[:4]} if fmt == "pt2" else {"serialization_format": "pickle"}
        runyard.pytorch.save_model(model, tmp_path / f"runyard-{fmt}", **kwargs)
        theirs, ours = _mlmodel(tmp_path / f"mlflow-{fmt}"), _mlmodel(tmp_path / f"runyard-{fmt}")
        assert theirs["flavors"] == ours["flavors"]
        assert theirs.get("signature") == ours.get("signature")
        assert _data_files(tmp_path / f"mlflow-{fmt}") == _data_files(tmp_path / f"runyard-{fmt}")
