"""The pyfunc contract: ``PythonModel`` (custom models), ``PythonModelContext`` and ``PyFuncModel``
(what ``runyard.pyfunc.load_model`` returns, whose ``predict`` enforces the model's signature).

Every loadable model directory has a ``python_function`` flavor naming a loader module and the
model's data; ``add_to_model`` writes it with MLflow's keys.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from runyard.errors import RunyardException
from runyard.models.enforcement import enforce_params, enforce_schema
from runyard.models.environment import python_version
from runyard.models.model import Model
from runyard.models.type_hints import TypeHints, predict_type_hints

_logger = logging.getLogger(__name__)

FLAVOR_NAME = "python_function"
MAIN = "loader_module"
CODE = "code"
DATA = "data"
ENV = "env"
PY_VERSION = "python_version"
MODEL_CONFIG = "config"


def add_to_model(model: Model, loader_module: str, data: str | None = None, code: str | None = None,
                 env: dict[str, str] | None = None, model_config: dict[str, Any] | None = None,
                 **kwargs: Any) -> Model:
    """Add the ``python_function`` flavor (MLflow's keys; ``loader_module`` as MLflow names it)."""
    params: dict[str, Any] = {MAIN: loader_module, PY_VERSION: python_version()}
    if code:
        params[CODE] = code
    if data:
        params[DATA] = data
    if env:
        params[ENV] = env
    if model_config:
        params[MODEL_CONFIG] = model_config
    params.update(kwargs)
    return model.add_flavor(FLAVOR_NAME, **params)


class PythonModelContext:
    """What a custom model gets at load time: its artifacts (name -> local path) and model config."""

    def __init__(self, artifacts: dict[str, str] | None = None, model_config: dict[str, Any] | None = None) -> None:
        self._artifacts = dict(artifacts or {})
        self._model_config = model_config

    @property
    def artifacts(self) -> dict[str, str]:
        """Artifact names mapped to their local paths inside the loaded model."""
        return self._artifacts

    @property
    def model_config(self) -> dict[str, Any] | None:
        """The model configuration given when saving (or overridden when loading)."""
        return self._model_config


class PythonModel:
    """Base class of custom models: override ``predict`` (and ``load_context`` to read artifacts).

    ``predict`` may be ``predict(self, context, model_input, params=None)`` or
    ``predict(self, model_input, params=None)``, as in MLflow 3.
    """

    def load_context(self, context: PythonModelContext) -> None:
        """Called once when the model loads; read artifacts from ``context.artifacts`` here."""

    def predict(self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        """Evaluate the model on ``model_input``."""
        raise NotImplementedError(f"{type(self).__name__} must implement predict()")

    def predict_stream(self, context: PythonModelContext, model_input: Any,
                       params: dict[str, Any] | None = None) -> Any:
        """Evaluate the model, yielding results in chunks (optional)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement predict_stream()")

    @property
    def predict_type_hints(self) -> TypeHints:
        """The input and output type hints of ``predict`` (MLflow's loader reads these)."""
        hints = self.__dict__.get("_predict_type_hints")
        if hints is None:
            hints = predict_type_hints(type(self).predict)
            self.__dict__["_predict_type_hints"] = hints
        return hints


def _takes_params(function: Any) -> bool:
    """Whether ``function`` has a ``params`` parameter of its own (``**kwargs`` does not count)."""
    try:
        accepts = inspect.signature(function).parameters.get("params")
    except (TypeError, ValueError):
        return False
    return accepts is not None and accepts.kind != inspect.Parameter.VAR_KEYWORD


class PyFuncModel:
    """A loaded model behind the generic ``predict(data, params=None)`` interface."""

    def __init__(self, model_meta: Model, model_impl: Any, predict_fn: str = "predict") -> None:
        if not hasattr(model_impl, predict_fn):
            raise RunyardException(f"Model implementation is missing required {predict_fn} method.")
        self._model_meta = model_meta
        self._model_impl = model_impl
        self._predict_fn = getattr(model_impl, predict_fn)
        # Decided once: inspecting the signature on every call costs as much as a small prediction.
        self._predict_takes_params = _takes_params(self._predict_fn)
        self.input_example: Any = None

    @property
    def metadata(self) -> Model:
        """The model's MLmodel content."""
        return self._model_meta

    @property
    def model_id(self) -> str | None:
        return self._model_meta.model_id

    @property
    def loader_module(self) -> str | None:
        conf = self._model_meta.flavors.get(FLAVOR_NAME)
        return conf.get(MAIN) if conf else None

    @property
    def model_config(self) -> dict[str, Any]:
        conf = self._model_meta.flavors.get(FLAVOR_NAME) or {}
        return conf.get(MODEL_CONFIG) or {}

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Predict on ``data``. When the model has a signature the input is checked and converted
        first (an error names the column and the type it expects), and ``params`` are checked
        against the params schema (defaults filled in)."""
        input_schema = self._model_meta.get_input_schema()
        params_schema = self._model_meta.get_params_schema()
        if input_schema is not None and not self._model_meta.is_signature_from_type_hint():
            data = enforce_schema(data, input_schema)
        params = enforce_params(params, params_schema)
        if self._predict_takes_params:
            return self._predict_fn(data, params=params)
        if params:
            _logger.warning("The model's predict does not take `params`; ignoring %s", params)
        return self._predict_fn(data)

    def unwrap_python_model(self) -> Any:
        """The custom ``PythonModel`` instance inside (custom models only)."""
        python_model = getattr(self._model_impl, "python_model", None)
        if python_model is None:
            raise RunyardException("Unable to retrieve base model object from pyfunc.")
        return python_model

    def get_raw_model(self) -> Any:
        """The framework's own model object (the scikit-learn estimator, for instance)."""
        getter = getattr(self._model_impl, "get_raw_model", None)
        if getter is None:
            raise NotImplementedError("get_raw_model() is not implemented for this model flavor")
        return getter()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PyFuncModel) and self._model_meta == other._model_meta

    def __repr__(self) -> str:
        meta = self._model_meta
        lines = ["runyard.pyfunc.loaded_model:"]
        if meta.artifact_path:
            lines.append(f"  artifact_path: {meta.artifact_path}")
        lines.append(f"  flavor: {self.loader_module}")
        if meta.run_id:
            lines.append(f"  run_id: {meta.run_id}")
        return "\n".join(lines)
