"""Custom Python models: a ``PythonModel`` cloudpickled to ``python_model.pkl`` with its artifacts
copied beside it, written as MLflow writes them (``loader_module: mlflow.pyfunc.model``), and
``_load_pyfunc`` for that loader. Loading a pickled model runs code from the file.
"""

from __future__ import annotations

import inspect
import os
import shutil
from typing import Any, Callable

from runyard.errors import InvalidParameterValue, RunyardException
from runyard.models import environment, input_example as examples, mlflow_pickles, pyfunc
from runyard.models.model import Model, local_model_path
from runyard.models.model_directory import copy_code_paths, finish, prepare_save_path
from runyard.models.pyfunc import PythonModel, PythonModelContext
from runyard.models.type_hints import context_in_signature, is_list_of, predict_type_hints

LOADER_MODULE = "mlflow.pyfunc.model"
PYTHON_MODEL_FILE = "python_model.pkl"
ARTIFACTS_DIR = "artifacts"


class FunctionPythonModel(PythonModel):
    """A plain ``predict(model_input)`` function saved as a custom model."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        return self.func(model_input)


def _copy_artifacts(artifacts: dict[str, Any], path: str) -> dict[str, dict[str, str]]:
    """Copy local artifacts into ``<path>/artifacts``; returns the flavor's ``artifacts`` entry."""
    if not isinstance(artifacts, dict):
        raise InvalidParameterValue(f"artifacts must be a dict of name -> local path or URI, got {type(artifacts).__name__}")
    entries: dict[str, dict[str, str]] = {}
    used: set[str] = set()
    for name, uri in artifacts.items():
        source = local_model_path(os.fspath(uri))
        if not os.path.exists(source):
            raise InvalidParameterValue(f"Artifact {name!r}: {os.fspath(uri)!r} does not exist")
        base = os.path.basename(source.rstrip(os.sep)) or str(name)
        relative = f"{ARTIFACTS_DIR}/{base}" if base not in used else f"{ARTIFACTS_DIR}/{name}/{base}"
        used.add(base)
        target = os.path.join(path, *relative.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.isdir(source):
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
        entries[str(name)] = {"path": relative, "uri": os.fspath(uri)}
    return entries


def _requirements(python_model: PythonModel) -> list[str]:
    functions = [value for klass in type(python_model).__mro__
                 if klass not in (object, PythonModel) for value in vars(klass).values()]
    functions += [value.fget for value in functions if isinstance(value, property)]
    modules = environment.modules_of_functions(functions) | environment.modules_of_object(python_model)
    modules |= {klass.__module__.split(".", 1)[0] for klass in type(python_model).__mro__}
    names = ["cloudpickle", *sorted(environment.requirements_for_modules(modules), key=str.lower)]
    return [environment.pinned(name) for name in dict.fromkeys(names)]


def save_model(path: str | os.PathLike[str], python_model: Any = None, artifacts: dict[str, Any] | None = None,
               loader_module: str | None = None, data_path: str | None = None, code_paths: list[str] | None = None,
               conda_env: Any = None, mlflow_model: Model | None = None, signature: Any = None,
               input_example: Any = None, pip_requirements: Any = None, extra_pip_requirements: Any = None,
               metadata: dict[str, Any] | None = None, model_config: dict[str, Any] | None = None,
               **kwargs: Any) -> None:
    """Save a custom model: a ``PythonModel`` (or a ``predict`` function) with local ``artifacts``,
    or a ``loader_module`` with its ``data_path``, as MLflow's ``pyfunc.save_model`` does."""
    if kwargs:
        raise InvalidParameterValue(f"Unsupported arguments for a custom model: {sorted(kwargs)}")
    if (python_model is None) == (loader_module is None):
        raise InvalidParameterValue("Specify exactly one of `python_model` (a PythonModel) or `loader_module`")
    if isinstance(python_model, (str, os.PathLike)):
        raise InvalidParameterValue("Models from code (python_model given as a file path) are not supported yet; "
                                    "pass a PythonModel instance")
    if python_model is not None and not isinstance(python_model, PythonModel):
        if not callable(python_model):
            raise InvalidParameterValue("python_model must be a PythonModel instance or a callable")
        python_model = FunctionPythonModel(python_model)
    local = prepare_save_path(path)
    code = copy_code_paths(code_paths, local)
    model = mlflow_model if mlflow_model is not None else Model()
    if input_example is not None:
        examples.save_example(model, input_example, local)
        if signature is None and python_model is not None:
            wrapper = _PythonModelPyfuncWrapper(python_model, PythonModelContext({}, model_config))
            signature = examples.infer_signature_from_example(input_example, wrapper.predict)
    model.signature = signature or None
    if metadata is not None:
        model.metadata = metadata
    if python_model is not None:
        _save_python_model(model, local, python_model, artifacts, code, model_config, conda_env,
                           pip_requirements, extra_pip_requirements)
    else:
        _save_loader_module(model, local, str(loader_module), data_path, code, model_config, conda_env,
                            pip_requirements, extra_pip_requirements)
    finish(model, local)


def _save_python_model(model: Model, local: str, python_model: PythonModel, artifacts: dict[str, Any] | None,
                       code: str | None, model_config: dict[str, Any] | None, conda_env: Any,
                       pip_requirements: Any, extra_pip_requirements: Any) -> None:
    import cloudpickle  # noqa: PLC0415

    with open(os.path.join(local, PYTHON_MODEL_FILE), "wb") as out:
        mlflow_pickles.dump(python_model, out)
    extra: dict[str, Any] = {"cloudpickle_version": cloudpickle.__version__, "python_model": PYTHON_MODEL_FILE,
                             "streamable": callable(getattr(type(python_model), "predict_stream", None))
                             and type(python_model).predict_stream is not PythonModel.predict_stream}
    if artifacts:
        extra["artifacts"] = _copy_artifacts(artifacts, local)
    env = environment.write_environment(local, _requirements(python_model), conda_env, pip_requirements,
                                        extra_pip_requirements)
    pyfunc.add_to_model(model, loader_module=LOADER_MODULE, code=code, env=env, model_config=model_config, **extra)
    model.flavors[pyfunc.FLAVOR_NAME].setdefault(pyfunc.CODE, None)


def _save_loader_module(model: Model, local: str, loader_module: str, data_path: str | None, code: str | None,
                        model_config: dict[str, Any] | None, conda_env: Any, pip_requirements: Any,
                        extra_pip_requirements: Any) -> None:
    data = None
    if data_path is not None:
        source = local_model_path(os.fspath(data_path))
        data = os.path.basename(source.rstrip(os.sep))
        (shutil.copytree if os.path.isdir(source) else shutil.copy2)(source, os.path.join(local, data))
    env = environment.write_environment(local, [environment.pinned("cloudpickle")], conda_env, pip_requirements,
                                        extra_pip_requirements)
    pyfunc.add_to_model(model, loader_module=loader_module, data=data, code=code, env=env, model_config=model_config)


def load_python_model(model_path: str, model_config: dict[str, Any] | None = None) -> tuple[PythonModel, PythonModelContext]:
    """Unpickle the custom model of a model directory and call its ``load_context``."""
    conf = Model.load(model_path).flavor_conf(pyfunc.FLAVOR_NAME)
    subpath = conf.get("python_model")
    if subpath is None:
        raise RunyardException("Python model path was not specified in the model configuration")
    if conf.get("compression"):
        raise RunyardException(f"Compressed python models ({conf['compression']}) are not supported yet")
    with open(os.path.join(model_path, subpath), "rb") as f:
        python_model = mlflow_pickles.load(f)  # runs code from the file: trusted sources only
    artifacts = {name: os.path.join(model_path, *info["path"].split("/"))
                 for name, info in (conf.get("artifacts") or {}).items()}
    context = PythonModelContext(artifacts, model_config if model_config is not None else conf.get(pyfunc.MODEL_CONFIG))
    python_model.load_context(context=context)
    return python_model, context


def _load_pyfunc(model_path: str, model_config: dict[str, Any] | None = None) -> "_PythonModelPyfuncWrapper":
    python_model, context = load_python_model(model_path, model_config)
    return _PythonModelPyfuncWrapper(python_model, context)


def _first_string_column(frame: Any) -> Any:
    if len(frame) == 0:
        return None
    return next((column for column, value in frame.iloc[0].items() if isinstance(value, str)), None)


class _PythonModelPyfuncWrapper:
    """Calls ``predict`` with or without the context, as the model's own signature asks."""

    def __init__(self, python_model: Any, context: PythonModelContext) -> None:
        self.python_model = python_model
        self.context = context

    def _convert_input(self, model_input: Any) -> Any:
        if not (type(model_input).__name__ == "DataFrame" and type(model_input).__module__.startswith("pandas")):
            return model_input
        hint = predict_type_hints(type(self.python_model).predict).input
        if is_list_of(hint, str):
            column = _first_string_column(model_input)
            if column is None:
                raise InvalidParameterValue("Expected model input to contain at least one string column")
            return model_input[column].tolist()
        if is_list_of(hint, dict):
            return model_input.to_dict(orient="records")
        return model_input

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        parameters = inspect.signature(self.python_model.predict).parameters
        kwargs = {"params": params} if "params" in parameters else {}
        data = self._convert_input(model_input)
        if context_in_signature(parameters):
            return self.python_model.predict(self.context, data, **kwargs)
        return self.python_model.predict(data, **kwargs)

    def predict_stream(self, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        parameters = inspect.signature(self.python_model.predict_stream).parameters
        kwargs = {"params": params} if "params" in parameters else {}
        if context_in_signature(parameters):
            return self.python_model.predict_stream(self.context, self._convert_input(model_input), **kwargs)
        return self.python_model.predict_stream(self._convert_input(model_input), **kwargs)
