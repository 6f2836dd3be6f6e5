"""The scikit-learn flavor: ``model.skops`` by default, ``model.pkl`` (pickle or cloudpickle) on request.

skops refuses to load types it does not trust. MLflow 3 trusts only what the caller lists, so any
forest (``sklearn.tree._tree.Tree``) fails to load with default arguments. runyard trusts the
*classes* of scikit-learn, numpy and scipy that a file names, never functions or other callables
and never another package's types; anything else must be listed in ``skops_trusted_types``. The
types trusted at save time are written to the MLmodel file, so MLflow loads the model too.

Note that trusting ``Tree`` means trusting its node arrays: a crafted file can make ``predict``
read out of bounds. skops protects against code execution, not against a hostile model; load
models only from sources you trust.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
from typing import Any

from runyard.errors import InvalidParameterValue
from runyard.flavors.skops_import import import_skops_io
from runyard.models import environment, input_example as examples, mlflow_pickles, pyfunc
from runyard.models.model import Model, local_model_path
from runyard.models.model_directory import add_code_to_path, copy_code_paths, finish, prepare_save_path

FLAVOR_NAME = "sklearn"
LOADER_MODULE = "mlflow.sklearn"  # MLflow's name, so MLflow loads what runyard saves
SERIALIZATION_FORMAT_SKOPS = "skops"
SERIALIZATION_FORMAT_PICKLE = "pickle"
SERIALIZATION_FORMAT_CLOUDPICKLE = "cloudpickle"
SUPPORTED_SERIALIZATION_FORMATS = (SERIALIZATION_FORMAT_SKOPS, SERIALIZATION_FORMAT_CLOUDPICKLE,
                                   SERIALIZATION_FORMAT_PICKLE)
SUPPORTED_PREDICT_FNS = ("predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba", "score")
_SKOPS_FILE = "model.skops"
_PICKLE_FILE = "model.pkl"
_LIBRARY_PREFIXES = ("sklearn.", "numpy.", "scipy.")
_logger = logging.getLogger(__name__)


def get_default_pip_requirements(serialization_format: str = SERIALIZATION_FORMAT_SKOPS) -> list[str]:
    """scikit-learn, the numeric stack it pickles arrays with, and the serialiser, pinned."""
    names = ["scikit-learn", "numpy", "scipy"]
    if serialization_format == SERIALIZATION_FORMAT_SKOPS:
        names.append("skops")
    elif serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE:
        names.append("cloudpickle")
    return [environment.pinned(name) for name in names]


def _model_requirements(sk_model: Any, serialization_format: str) -> list[str]:
    defaults = get_default_pip_requirements(serialization_format)
    known = {req.split("==", 1)[0].lower() for req in defaults}
    extra = [environment.pinned(dist)
             for dist in environment.requirements_for_modules(environment.modules_of_object(sk_model))
             if dist.lower() not in known]
    return defaults + sorted(extra, key=str.lower)


def library_classes(type_names: list[str]) -> list[str]:
    """The names in ``type_names`` that are classes of scikit-learn, numpy or scipy."""
    trusted = []
    for name in type_names:
        if not name.startswith(_LIBRARY_PREFIXES):
            continue
        module_name, _, attribute = name.rpartition(".")
        try:
            found = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError):
            continue
        if isinstance(found, type):
            trusted.append(name)
    return trusted


def _save_skops(sk_model: Any, path: str, skops_trusted_types: list[str] | None) -> list[str] | None:
    skops_io = import_skops_io()

    skops_io.dump(sk_model, path)
    untrusted = skops_io.get_untrusted_types(file=path)
    declared = list(skops_trusted_types or [])
    trusted = declared + [t for t in library_classes(untrusted) if t not in declared]
    refused = [t for t in untrusted if t not in trusted]
    if refused:
        os.remove(path)
        raise InvalidParameterValue(
            f"The scikit-learn model refers to types skops does not trust: {refused}. runyard trusts the classes "
            "of scikit-learn, numpy and scipy only. If you trust these, pass skops_trusted_types="
            f"{refused!r}, or save with serialization_format='cloudpickle'."
        )
    return trusted or None


def _save_pickle(sk_model: Any, path: str, serialization_format: str) -> None:
    _logger.warning("Saving scikit-learn models as %s: loading them runs code from the file. "
                    "The safe alternative is the 'skops' format.", serialization_format)
    with open(path, "wb") as out:
        if serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE:
            import cloudpickle  # noqa: PLC0415

            cloudpickle.dump(sk_model, out, protocol=pickle.DEFAULT_PROTOCOL)
        else:
            pickle.dump(sk_model, out, protocol=pickle.DEFAULT_PROTOCOL)


def save_model(sk_model: Any, path: str | os.PathLike[str], conda_env: Any = None, code_paths: list[str] | None = None,
               mlflow_model: Model | None = None, serialization_format: str = SERIALIZATION_FORMAT_SKOPS,
               signature: Any = None, input_example: Any = None, pip_requirements: Any = None,
               extra_pip_requirements: Any = None, pyfunc_predict_fn: str = "predict",
               metadata: dict[str, Any] | None = None, skops_trusted_types: list[str] | None = None) -> None:
    """Save a scikit-learn model as a model directory at ``path`` (which must not exist or be empty)."""
    if serialization_format not in SUPPORTED_SERIALIZATION_FORMATS:
        raise InvalidParameterValue(f"Unrecognized serialization format: {serialization_format!r}. Please "
                                    f"specify one of the following supported formats: {list(SUPPORTED_SERIALIZATION_FORMATS)}.")
    if pyfunc_predict_fn not in SUPPORTED_PREDICT_FNS:
        raise InvalidParameterValue(f"pyfunc_predict_fn must be one of {list(SUPPORTED_PREDICT_FNS)}, "
                                    f"got {pyfunc_predict_fn!r}")
    import sklearn  # noqa: PLC0415

    local = prepare_save_path(path)
    code = copy_code_paths(code_paths, local)
    model = mlflow_model if mlflow_model is not None else Model()
    if input_example is not None:
        examples.save_example(model, input_example, local)
        if signature is None:
            signature = examples.infer_signature_from_example(input_example, _SklearnModelWrapper(sk_model).predict)
    model.signature = signature or None  # signature=False: none, as in MLflow
    if metadata is not None:
        model.metadata = metadata
    if serialization_format == SERIALIZATION_FORMAT_SKOPS:
        data_file = _SKOPS_FILE
        trusted = _save_skops(sk_model, os.path.join(local, data_file), skops_trusted_types)
    else:
        data_file, trusted = _PICKLE_FILE, skops_trusted_types
        _save_pickle(sk_model, os.path.join(local, data_file), serialization_format)
    env = environment.write_environment(local, _model_requirements(sk_model, serialization_format),
                                        conda_env, pip_requirements, extra_pip_requirements)
    if hasattr(sk_model, pyfunc_predict_fn):
        pyfunc.add_to_model(model, loader_module=LOADER_MODULE, model_path=data_file, env=env, code=code,
                            predict_fn=pyfunc_predict_fn)
    else:
        _logger.warning("Model has no %s method: not adding the python_function flavor", pyfunc_predict_fn)
    model.add_flavor(FLAVOR_NAME, pickled_model=data_file, sklearn_version=sklearn.__version__,
                     serialization_format=serialization_format, code=code, skops_trusted_types=trusted)
    finish(model, local)


def _load_from_file(path: str, serialization_format: str, skops_trusted_types: list[str] | None) -> Any:
    if serialization_format == SERIALIZATION_FORMAT_SKOPS:
        skops_io = import_skops_io()

        from skops.io.exceptions import UntrustedTypesFoundException  # noqa: PLC0415

        declared = list(skops_trusted_types or [])
        try:
            # runyard lists every type it trusted when saving: one pass over the file.
            return skops_io.load(path, trusted=declared)
        except UntrustedTypesFoundException:
            library = [t for t in library_classes(skops_io.get_untrusted_types(file=path)) if t not in declared]
            return skops_io.load(path, trusted=declared + library)
    if serialization_format not in (SERIALIZATION_FORMAT_PICKLE, SERIALIZATION_FORMAT_CLOUDPICKLE):
        raise InvalidParameterValue(f"Unrecognized serialization format {serialization_format!r} in the sklearn flavor")
    with open(path, "rb") as f:
        return mlflow_pickles.load(f)  # runs code from the file: trusted sources only


def _local_model_dir(path: str | os.PathLike[str]) -> str:
    local = local_model_path(os.fspath(path))
    if not os.path.isdir(local):
        raise InvalidParameterValue(
            f"{local!r} is not a local model directory; runyard.sklearn.load_model takes model URIs")
    return local


def load_model(model_uri_or_local_path: str | os.PathLike[str]) -> Any:
    """The scikit-learn model saved in a local model directory (``file:`` URIs accepted)."""
    local = _local_model_dir(model_uri_or_local_path)
    conf = Model.load(local).flavor_conf(FLAVOR_NAME)
    add_code_to_path(local, conf)
    return _load_from_file(os.path.join(local, conf["pickled_model"]),
                           conf.get("serialization_format", SERIALIZATION_FORMAT_PICKLE),
                           conf.get("skops_trusted_types"))


def _load_pyfunc(path: str, model_config: dict[str, Any] | None = None) -> "_SklearnModelWrapper":
    """The pyfunc implementation: ``path`` is the model directory or its serialised model file."""
    model_dir = os.path.dirname(path) if os.path.isfile(path) else path
    meta = Model.load(model_dir)
    conf = meta.flavors.get(FLAVOR_NAME) or {}
    if os.path.isdir(path):
        pyfunc_conf = meta.flavor_conf(pyfunc.FLAVOR_NAME)
        path = os.path.join(path, pyfunc_conf.get("model_path") or conf.get("pickled_model") or _PICKLE_FILE)
    return _SklearnModelWrapper(_load_from_file(path, conf.get("serialization_format", SERIALIZATION_FORMAT_PICKLE),
                                                conf.get("skops_trusted_types")))


class _SklearnModelWrapper:
    """The pyfunc face of an estimator: ``predict`` plus whichever predict_proba-like methods it has."""

    def __init__(self, sklearn_model: Any) -> None:
        self.sklearn_model = sklearn_model
        for name in SUPPORTED_PREDICT_FNS[1:]:
            method = getattr(sklearn_model, name, None)
            if method is not None:
                setattr(self, name, method)

    def get_raw_model(self) -> Any:
        return self.sklearn_model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.sklearn_model.predict(data)
