"""The PyTorch flavor: an ``nn.Module`` as a ``torch.export`` program (``data/model.pt2``) or pickled
(``data/model.pth`` with ``data/pickle_module_info.txt``), as MLflow 3 saves it.

MLflow's flavor keys (``model_data``, ``pytorch_version``, ``code``, ``extra_files``; pyfunc
``pickle_module_name`` and ``config: {device: null}``) and ``loader_module: mlflow.pytorch``, so
models cross between runyard and MLflow both ways.

The default format: ``pt2`` when the input example is made of tensors (numpy arrays or torch
tensors) and the signature (given, or inferred from the example) has TensorSpec inputs, as MLflow
3 saves such a call. Where MLflow refuses the call (no input example, a DataFrame example, a model
``torch.export`` cannot trace) runyard saves the model pickled instead, with a warning;
``serialization_format="pt2"`` asks for pt2 and fails as MLflow does.

Loading a pickled model runs code from the file, and a crafted pt2 archive can carry pickled
weights that torch unpickles too: load models only from sources you trust.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import warnings
import zipfile
from typing import Any

from runyard import config
from runyard.errors import InvalidParameterValue, RunyardException
from runyard.flavors import pytorch_export as export, pytorch_pickle
from runyard.flavors.model_classes import local_model_dir
from runyard.models import environment, input_example as examples, pyfunc
from runyard.models.model import Model
from runyard.models.model_directory import add_code_to_path, copy_code_paths, finish, prepare_save_path

FLAVOR_NAME = "pytorch"
LOADER_MODULE = "mlflow.pytorch"  # MLflow's name, so MLflow loads what runyard saves
SERIALIZATION_FORMAT_PICKLE = "pickle"
SERIALIZATION_FORMAT_PT2 = "pt2"
SUPPORTED_SERIALIZATION_FORMATS = (SERIALIZATION_FORMAT_PICKLE, SERIALIZATION_FORMAT_PT2)
MODEL_DATA = "data"
PICKLED_MODEL_FILE = "model.pth"
EXPORTED_MODEL_FILE = "model.pt2"
PICKLE_MODULE_INFO_FILE = "pickle_module_info.txt"
STATE_DICT_FILE = "state_dict.pth"
EXTRA_FILES = "extra_files"
_logger = logging.getLogger(__name__)


def get_default_pip_requirements(serialization_format: str = SERIALIZATION_FORMAT_PICKLE) -> list[str]:
    """torch and numpy, pinned, and cloudpickle for pickled models."""
    names = ["torch", "numpy"] + (["cloudpickle"] if serialization_format == SERIALIZATION_FORMAT_PICKLE else [])
    return [environment.pinned(name) for name in names]


def get_default_conda_env() -> dict[str, Any]:
    """The conda environment of a pickled PyTorch model with the default requirements."""
    return environment.default_conda_env(get_default_pip_requirements())


def _model_requirements(pytorch_model: Any, serialization_format: str) -> list[str]:
    defaults = get_default_pip_requirements(serialization_format)
    if serialization_format != SERIALIZATION_FORMAT_PICKLE:
        return defaults
    known = {req.split("==", 1)[0].lower() for req in defaults}
    extra = [environment.pinned(dist)
             for dist in environment.requirements_for_modules(environment.modules_of_object(pytorch_model))
             if dist.lower() not in known]
    return defaults + sorted(extra, key=str.lower)


def _format_requested(serialization_format: str | None, export_model: bool) -> str | None:
    if export_model:
        if serialization_format == SERIALIZATION_FORMAT_PICKLE:
            raise InvalidParameterValue("Cannot set both export_model=True and serialization_format='pickle'; "
                                        "use serialization_format alone")
        warnings.warn("`export_model` is deprecated; use serialization_format='pt2'", FutureWarning, stacklevel=4)
        return SERIALIZATION_FORMAT_PT2
    if serialization_format is not None and serialization_format not in SUPPORTED_SERIALIZATION_FORMATS:
        raise InvalidParameterValue(f"serialization_format must be one of {list(SUPPORTED_SERIALIZATION_FORMATS)}, "
                                    f"got {serialization_format!r}")
    return serialization_format


def _copy_extra_files(extra_files: Any, path: str) -> dict[str, Any]:
    if not extra_files:
        return {}
    if not isinstance(extra_files, list):
        raise InvalidParameterValue(f"extra_files must be a list of file paths, got {type(extra_files).__name__}")
    target = os.path.join(path, EXTRA_FILES)
    os.makedirs(target, exist_ok=True)
    entries = []
    for extra in extra_files:
        source = os.path.abspath(os.fspath(extra))
        if not os.path.isfile(source):
            raise InvalidParameterValue(f"extra_files: {os.fspath(extra)!r} is not a file")
        shutil.copy2(source, os.path.join(target, os.path.basename(source)))
        entries.append({"path": f"{EXTRA_FILES}/{os.path.basename(source)}"})
    return {EXTRA_FILES: entries}


def _pickle_module_name(pickle_module: Any) -> str:
    return pytorch_pickle.MLFLOW_NAME if pickle_module is pytorch_pickle else pickle_module.__name__


def _is_dataframe(value: Any) -> bool:
    return type(value).__module__.startswith("pandas") and type(value).__name__ == "DataFrame"


def _pickle(pytorch_model: Any, data_dir: str, pickle_module: Any, **kwargs: Any) -> str:
    import torch  # noqa: PLC0415

    module_name = _pickle_module_name(pickle_module)
    with open(os.path.join(data_dir, PICKLE_MODULE_INFO_FILE), "w", encoding="utf-8") as f:
        f.write(module_name)
    model_path = os.path.join(data_dir, PICKLED_MODEL_FILE)
    if isinstance(pytorch_model, torch.jit.ScriptModule):
        torch.jit.save(pytorch_model, model_path)
    else:
        torch.save(pytorch_model, model_path, pickle_module=pickle_module, **kwargs)
    return module_name


def _save_data(pytorch_model: Any, data_dir: str, requested: str | None, example: export.ExampleInputs,
               signature: Any, pickle_module: Any, **kwargs: Any) -> tuple[str, str]:
    """Write the model into ``data_dir``; returns (format written, pickle module name)."""
    import torch  # noqa: PLC0415

    refusal = None
    if requested != SERIALIZATION_FORMAT_PICKLE:
        refusal = export.export_refusal(pytorch_model, example, signature)
        if requested == SERIALIZATION_FORMAT_PT2 and refusal:
            raise InvalidParameterValue(f"Cannot save with serialization_format='pt2': {refusal}; "
                                        "pass serialization_format='pickle' to pickle the model instead")
    if requested != SERIALIZATION_FORMAT_PICKLE and refusal is None:
        try:
            program = export.export(pytorch_model, example, signature)
        except Exception as exc:
            if requested == SERIALIZATION_FORMAT_PT2:
                raise
            refusal = f"torch.export could not trace the model ({type(exc).__name__}: {exc})"
        else:
            torch.export.save(program, os.path.join(data_dir, EXPORTED_MODEL_FILE))
            return SERIALIZATION_FORMAT_PT2, _pickle_module_name(pickle_module)
    if requested is None:
        _logger.warning("Saving the PyTorch model pickled, not as a torch.export program: %s. Loading a pickled "
                        "model runs code from the file.", refusal)
    else:
        _logger.warning("Saving the PyTorch model pickled: loading it runs code from the file. The safe "
                        "alternative is serialization_format='pt2'.")
    return SERIALIZATION_FORMAT_PICKLE, _pickle(pytorch_model, data_dir, pickle_module, **kwargs)


def save_model(pytorch_model: Any, path: str | os.PathLike[str], conda_env: Any = None,
               mlflow_model: Model | None = None, code_paths: list[str] | None = None, pickle_module: Any = None,
               signature: Any = None, input_example: Any = None, extra_files: list[str] | None = None,
               pip_requirements: Any = None, extra_pip_requirements: Any = None,
               metadata: dict[str, Any] | None = None, export_model: bool = False,
               serialization_format: str | None = None, **kwargs: Any) -> None:
    """Save a ``torch.nn.Module`` as a model directory at ``path`` (which must not exist or be
    empty); ``kwargs`` go to ``torch.save`` for pickled models."""
    import torch  # noqa: PLC0415 - frameworks load on use

    requested = _format_requested(serialization_format, export_model)
    if not isinstance(pytorch_model, torch.nn.Module):
        raise InvalidParameterValue(f"pytorch_model must be a torch.nn.Module, got {type(pytorch_model).__name__}")
    local = prepare_save_path(path)
    code = copy_code_paths(code_paths, local)
    model = mlflow_model if mlflow_model is not None else Model()
    example = export.split_example(input_example)
    if example.saved is not None:
        examples.save_example(model, example.saved, local)
        if signature is None:
            with export.eval_mode(pytorch_model):
                signature = examples.infer_signature_from_example(example.saved, _PyTorchWrapper(pytorch_model).predict)
    model.signature = signature or None  # signature=False: none, as in MLflow
    if metadata is not None:
        model.metadata = metadata
    data_dir = os.path.join(local, MODEL_DATA)
    os.makedirs(data_dir)
    written, module_name = _save_data(pytorch_model, data_dir, requested, example, model.signature,
                                      pickle_module or pytorch_pickle, **kwargs)
    extra = _copy_extra_files(extra_files, local)
    env = environment.write_environment(local, _model_requirements(pytorch_model, written), conda_env,
                                        pip_requirements, extra_pip_requirements)
    model.add_flavor(FLAVOR_NAME, model_data=MODEL_DATA, pytorch_version=str(torch.__version__), code=code, **extra)
    if not (written == SERIALIZATION_FORMAT_PT2 and len(example.tensors or ()) > 1):
        # A model of several tensor inputs has no pyfunc face (its predict takes one input), as in MLflow.
        pyfunc.add_to_model(model, loader_module=LOADER_MODULE, data=MODEL_DATA, env=env, code=code,
                            model_config={"device": None}, pickle_module_name=module_name)
    finish(model, local)


def _pickle_module_for(name: str) -> Any:
    if name in (pytorch_pickle.MLFLOW_NAME, pytorch_pickle.__name__):
        return pytorch_pickle
    import importlib  # noqa: PLC0415

    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise RunyardException(f"The PyTorch model was pickled with {name!r}, which cannot be imported") from exc


def _is_torchscript(path: str) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith("constants.pkl") for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def load_data(path: str, device: Any = None, explicit_device: bool = True, **kwargs: Any) -> Any:
    """The model in a ``data`` directory (or a pickled model file); ``kwargs`` go to ``torch.load``."""
    import torch  # noqa: PLC0415

    model_path = path
    if os.path.isdir(path):
        model_path = os.path.join(path, PICKLED_MODEL_FILE)
        if not os.path.exists(model_path):
            return export.load_program(os.path.join(path, EXPORTED_MODEL_FILE), device, explicit_device)
        info = os.path.join(path, PICKLE_MODULE_INFO_FILE)
        if "pickle_module" not in kwargs and os.path.isfile(info):
            with open(info, encoding="utf-8") as f:
                kwargs["pickle_module"] = _pickle_module_for(f.read().strip())
    if _is_torchscript(model_path):
        model = torch.jit.load(model_path, map_location=kwargs.get("map_location"))
    else:
        if kwargs.get("weights_only"):
            kwargs.pop("pickle_module", None)  # torch's restricted unpickler takes no pickle_module
        else:
            kwargs.setdefault("pickle_module", pytorch_pickle)
            kwargs["weights_only"] = False
        model = torch.load(model_path, **kwargs)  # runs code from the file: trusted sources only
    model.eval()
    return model.to(device) if device else model


def _load_from_dir(model_dir: str, **kwargs: Any) -> Any:
    import torch  # noqa: PLC0415

    conf = Model.load(model_dir).flavor_conf(FLAVOR_NAME)
    add_code_to_path(model_dir, conf)
    if conf.get("pytorch_version") and conf["pytorch_version"] != torch.__version__:
        _logger.warning("The model was saved with PyTorch %s; %s is installed", conf["pytorch_version"],
                        torch.__version__)
    return load_data(os.path.join(model_dir, conf.get("model_data") or MODEL_DATA), **kwargs)


def load_model(model_uri_or_local_path: str | os.PathLike[str], **kwargs: Any) -> Any:
    """The PyTorch model saved in a local model directory (``file:`` URIs accepted); ``device``
    moves it, other ``kwargs`` (``map_location``, ...) go to ``torch.load``.
    ``runyard.pytorch.load_model`` takes every model URI."""
    return _load_from_dir(local_model_dir(model_uri_or_local_path, FLAVOR_NAME), **kwargs)


def _prediction_device(model_config: dict[str, Any] | None) -> tuple[str, bool]:
    """(device, whether asked for): ``model_config['device']``, else RUNYARD_/MLFLOW_
    DEFAULT_PREDICTION_DEVICE, else CUDA when available, else the CPU."""
    import torch  # noqa: PLC0415

    device = (model_config or {}).get("device")
    if device:
        return str(device), True
    device = config.get_str("DEFAULT_PREDICTION_DEVICE")
    if device:
        return device, True
    return ("cuda" if torch.cuda.is_available() else "cpu"), False


def _load_pyfunc(path: str, model_config: dict[str, Any] | None = None) -> "_PyTorchWrapper":
    """The pyfunc implementation; ``path`` is the model's ``data`` directory."""
    device, explicit = _prediction_device(model_config)
    return _PyTorchWrapper(load_data(path, device=device, explicit_device=explicit), device)


def _first_tensor(model: Any) -> Any:
    if not hasattr(model, "parameters"):
        return None
    return next(itertools.chain(model.parameters(), model.buffers()), None)


class _PyTorchWrapper:
    """The pyfunc face: a DataFrame (as float32), numpy array or tensor in, the model's output tensor
    as numpy out (a DataFrame, with the input's index, for a DataFrame); ``params`` go to forward."""

    def __init__(self, pytorch_model: Any, device: str | None = None) -> None:
        self.pytorch_model = pytorch_model
        self.device = device

    def get_raw_model(self) -> Any:
        return self.pytorch_model

    def _tensor(self, data: Any) -> Any:
        import numpy as np  # noqa: PLC0415
        import torch  # noqa: PLC0415

        if isinstance(data, torch.Tensor):
            tensor = data
        elif isinstance(data, np.ndarray) or _is_dataframe(data):
            array = np.ascontiguousarray(data.to_numpy(dtype=np.float32) if _is_dataframe(data) else data)
            # torch warns on read-only arrays (pandas' copy-on-write hands those out): a copy it may write.
            tensor = torch.from_numpy(array if array.flags.writeable else array.copy())
        else:
            raise InvalidParameterValue(
                f"The PyTorch flavor predicts on a pandas DataFrame, a numpy array or a torch Tensor, got "
                f"{type(data).__name__}")
        weight = _first_tensor(self.pytorch_model)
        if weight is not None:
            # A float64 array (numpy's default) fed to a float32 model: the model's own precision.
            dtype = weight.dtype if tensor.is_floating_point() and weight.is_floating_point() else tensor.dtype
            return tensor.to(device=weight.device, dtype=dtype)
        return tensor.to(self.device) if self.device else tensor

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import torch  # noqa: PLC0415

        if params and "device" in params:
            raise InvalidParameterValue("'device' is not a predict parameter: choose it when loading, with "
                                        "runyard.pyfunc.load_model(model_uri, model_config={'device': 'cuda'})")
        with torch.no_grad():
            output = self.pytorch_model(self._tensor(data), **(params or {}))
        if not isinstance(output, torch.Tensor):
            raise RunyardException(f"The PyTorch model's forward returned {type(output).__name__}; its pyfunc "
                                   "predict takes models that return a single tensor")
        predicted = output.detach().cpu().numpy()
        if _is_dataframe(data) and predicted.ndim <= 2:
            import pandas as pd  # noqa: PLC0415

            return pd.DataFrame(predicted, index=data.index)
        return predicted


def save_state_dict(state_dict: dict[str, Any], path: str | os.PathLike[str], **kwargs: Any) -> None:
    """Write ``state_dict`` as ``<path>/state_dict.pth`` (``kwargs`` go to ``torch.save``)."""
    import torch  # noqa: PLC0415

    if not isinstance(state_dict, dict):
        raise InvalidParameterValue(f"state_dict must be a dict (model.state_dict()), got {type(state_dict).__name__}")
    os.makedirs(path, exist_ok=True)
    torch.save(state_dict, os.path.join(path, STATE_DICT_FILE), **kwargs)


def load_state_dict_file(path: str | os.PathLike[str], **kwargs: Any) -> Any:
    """The state dict in the directory ``path`` (or the file itself); ``torch.load`` with its own
    defaults, which in torch >= 2.6 admit tensors and plain containers only (``weights_only``)."""
    import torch  # noqa: PLC0415

    local = os.fspath(path)
    if os.path.isdir(local):
        local = os.path.join(local, STATE_DICT_FILE)
    return torch.load(local, **kwargs)
