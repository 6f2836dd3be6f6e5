"""Custom Python models: artifacts, params, signature enforcement, both predict forms, pickles."""

from __future__ import annotations

import json
import pickletools

import numpy as np
import pandas as pd
import pytest
import yaml

from runyard.errors import InvalidParameterValue, RunyardException
from runyard.flavors import python_model as flavor
from runyard.flavors.loading import load_pyfunc
from runyard.models import ColSpec, ModelSignature, ParamSchema, ParamSpec, Schema, infer_signature
from runyard.models.pyfunc import PythonModel


class Scaler(PythonModel):
    """Reads its factor from an artifact; ``params`` multiply further."""

    def load_context(self, context):
        with open(context.artifacts["config"]) as f:
            self.factor = json.load(f)["factor"]
        self.config = context.model_config

    def predict(self, context, model_input, params=None):
        return model_input * self.factor * (params or {}).get("mult", 1)


class NoContext(PythonModel):
    def predict(self, model_input: list[str], params=None) -> list[str]:
        return [text.upper() for text in model_input]


def _config(tmp_path, factor=3):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"factor": factor}))
    return str(path)


def test_python_model_with_artifacts_and_params(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    signature = infer_signature(frame, frame, params={"mult": 1})
    flavor.save_model(tmp_path / "m", python_model=Scaler(), artifacts={"config": _config(tmp_path)},
                      signature=signature, model_config={"k": "v"})
    written = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    conf = written["flavors"]["python_function"]
    assert conf["loader_module"] == "mlflow.pyfunc.model" and conf["python_model"] == "python_model.pkl"
    assert conf["artifacts"] == {"config": {"path": "artifacts/config.json", "uri": _config(tmp_path)}}
    assert conf["cloudpickle_version"] and conf["streamable"] is False and conf["config"] == {"k": "v"}
    assert (tmp_path / "m" / "requirements.txt").read_text().startswith("cloudpickle==")

    model = load_pyfunc(tmp_path / "m")
    pd.testing.assert_frame_equal(model.predict(frame), frame * 3)
    pd.testing.assert_frame_equal(model.predict(frame, params={"mult": 2}), frame * 6)
    unwrapped = model.unwrap_python_model()
    assert isinstance(unwrapped, Scaler) and unwrapped.config == {"k": "v"}
    assert load_pyfunc(tmp_path / "m", model_config={"k": "w"}).unwrap_python_model().config == {"k": "w"}
    assert model.loader_module == "mlflow.pyfunc.model" and model.model_config == {"k": "v"}


def test_schema_enforcement_names_the_column(tmp_path):
    signature = ModelSignature(Schema([ColSpec("double", "a"), ColSpec("long", "count")]),
                               params=ParamSchema([ParamSpec("mult", "long", 1)]))
    flavor.save_model(tmp_path / "m", python_model=Scaler(), artifacts={"config": _config(tmp_path)},
                      signature=signature)
    model = load_pyfunc(tmp_path / "m")
    good = pd.DataFrame({"a": [1.0], "count": [2]})
    pd.testing.assert_frame_equal(model.predict(good), good * 3)
    with pytest.raises(InvalidParameterValue, match=r"count") as info:
        model.predict(pd.DataFrame({"a": [1.0], "count": ["many"]}))
    assert "long" in str(info.value)
    with pytest.raises(InvalidParameterValue, match=r"missing inputs \['count'"):
        model.predict(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(InvalidParameterValue, match="mult"):
        model.predict(good, params={"mult": "lots"})


def test_predict_without_context_and_list_type_hints(tmp_path):
    flavor.save_model(tmp_path / "m", python_model=NoContext(), input_example=["a", "b"])
    model = load_pyfunc(tmp_path / "m")
    assert model.predict(["x", "y"]) == ["X", "Y"]
    # A DataFrame meets a list[str] hint as its first string column, as in MLflow.
    assert model.predict(pd.DataFrame({"text": ["z"]})) == ["Z"]
    assert json.loads((tmp_path / "m" / "input_example.json").read_text()) == ["a", "b"]


def test_function_model_and_input_example_signature(tmp_path):
    flavor.save_model(tmp_path / "m", python_model=lambda frame: frame.sum(axis=1),
                      input_example=pd.DataFrame({"x": [1, 2], "y": [3, 4]}))
    model = load_pyfunc(tmp_path / "m")
    assert [c.name for c in model.metadata.get_input_schema().inputs] == ["x", "y"]
    assert model.predict(pd.DataFrame({"x": [1], "y": [5]})).tolist() == [6]
    pd.testing.assert_frame_equal(model.input_example, pd.DataFrame({"x": [1, 2], "y": [3, 4]}))


def test_loader_module_models(tmp_path):
    data = tmp_path / "weights.json"
    data.write_text("[1, 2]")
    loader = tmp_path / "code" / "my_weights_loader.py"
    loader.parent.mkdir()
    loader.write_text(
        "import json\n"
        "class _Impl:\n"
        "    def __init__(self, w): self.w = w\n"
        "    def predict(self, data, params=None): return [self.w[0] * v for v in data]\n"
        "def _load_pyfunc(path):\n"
        "    with open(path) as f: return _Impl(json.load(f))\n")
    flavor.save_model(tmp_path / "m", loader_module="my_weights_loader", data_path=str(data),
                      code_paths=[str(loader)])
    conf = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["flavors"]["python_function"]
    assert (conf["loader_module"], conf["data"], conf["code"]) == ("my_weights_loader", "weights.json", "code")
    assert load_pyfunc(tmp_path / "m").predict([1, 2]) == [1, 2]


def test_local_classes_pickle_as_mlflow_references(tmp_path):
    """A class defined in a function (or script) is pickled by value; its runyard base class is
    written as MLflow's, so MLflow loads it without runyard and runyard maps it back."""
    class Doubler(PythonModel):
        def predict(self, context, model_input, params=None):
            return [2 * v for v in model_input]

    flavor.save_model(tmp_path / "m", python_model=Doubler())
    data = (tmp_path / "m" / "python_model.pkl").read_bytes()
    strings = [arg for op, arg, _ in pickletools.genops(data) if isinstance(arg, str)]
    assert "mlflow.pyfunc.model" in strings and not any("runyard" in s for s in strings)
    model = load_pyfunc(tmp_path / "m")
    assert model.predict([1, 2]) == [2, 4]
    assert isinstance(model.unwrap_python_model(), PythonModel)


def test_argument_errors(tmp_path):
    with pytest.raises(InvalidParameterValue, match="exactly one of `python_model`"):
        flavor.save_model(tmp_path / "a")
    with pytest.raises(InvalidParameterValue, match="Models from code"):
        flavor.save_model(tmp_path / "b", python_model="model.py")
    with pytest.raises(InvalidParameterValue, match="does not exist"):
        flavor.save_model(tmp_path / "c", python_model=Scaler(), artifacts={"x": str(tmp_path / "none")})
    flavor.save_model(tmp_path / "d", python_model=Scaler(), artifacts={"config": _config(tmp_path)})
    with pytest.raises(NotImplementedError, match="get_raw_model"):
        load_pyfunc(tmp_path / "d").get_raw_model()
    with pytest.raises(RunyardException, match="base model object"):
        _sklearn_like(tmp_path).unwrap_python_model()


def _sklearn_like(tmp_path):
    from sklearn.linear_model import LinearRegression

    from runyard.flavors import sklearn as sk

    sk.save_model(LinearRegression().fit(np.eye(2), [0, 1]), tmp_path / "sk")
    return load_pyfunc(tmp_path / "sk")
