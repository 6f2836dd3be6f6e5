"""The LightGBM flavor: a ``Booster`` in LightGBM's native text format (``model.lgb``), a
scikit-learn API model (LGBMClassifier, LGBMRegressor, LGBMRanker) as ``model.skops`` (the default)
or ``model.pkl`` (pickle or cloudpickle, on request), as MLflow 3 saves them.

MLflow's flavor keys (``lgb_version``, ``data``, ``model_class``, ``serialization_format``,
``skops_trusted_types``, ``code``) and ``loader_module: mlflow.lightgbm``, so models cross between
runyard and MLflow both ways. skops files load trusting LightGBM's own model classes, the classes
of scikit-learn, numpy and scipy, and what the MLmodel file lists; never other functions or types.
Loading a pickled model runs code from the file: load those only from sources you trust.
"""

from __future__ import annotations

import logging
import os
import pickle
from typing import Any

from runyard.errors import InvalidParameterValue
from runyard.flavors.skops_import import import_skops_io
from runyard.flavors.model_classes import accepted_kwargs, class_path, local_model_dir, model_dir_of, resolve_class
from runyard.flavors.sklearn import library_classes
from runyard.models import environment, input_example as examples, mlflow_pickles, pyfunc
from runyard.models.model import Model
from runyard.models.model_directory import add_code_to_path, copy_code_paths, finish, prepare_save_path

FLAVOR_NAME = "lightgbm"
LOADER_MODULE = "mlflow.lightgbm"  # MLflow's name, so MLflow loads what runyard saves
SERIALIZATION_FORMATS = ("skops", "cloudpickle", "pickle")
_BOOSTER_CLASS = "lightgbm.basic.Booster"
# What a LightGBM scikit-learn model refers to besides scikit-learn and numpy.
LIGHTGBM_TRUSTED_TYPES = ("collections.OrderedDict", "lightgbm.basic.Booster", "lightgbm.sklearn.LGBMClassifier",
                          "lightgbm.sklearn.LGBMRanker", "lightgbm.sklearn.LGBMRegressor")
_logger = logging.getLogger(__name__)


def get_default_pip_requirements(sklearn_api: bool = False, serialization_format: str = "skops") -> list[str]:
    """LightGBM and its array libraries, pinned; for scikit-learn API models scikit-learn and the
    serialiser too."""
    names = ["lightgbm", "numpy", "scipy"]
    if sklearn_api:
        names.append("scikit-learn")
        if serialization_format in ("skops", "cloudpickle"):
            names.append(serialization_format)
    return [environment.pinned(name) for name in names]


def _save_skops(lgb_model: Any, path: str, declared: list[str]) -> list[str]:
    skops_io = import_skops_io()

    skops_io.dump(lgb_model, path)
    untrusted = skops_io.get_untrusted_types(file=path)
    trusted = [t for t in untrusted if t in declared or t in LIGHTGBM_TRUSTED_TYPES]
    trusted += [t for t in library_classes(untrusted) if t not in trusted]
    refused = [t for t in untrusted if t not in trusted]
    if refused:
        os.remove(path)
        raise InvalidParameterValue(
            f"The LightGBM model refers to types skops does not trust: {refused}. If you trust these, pass "
            f"skops_trusted_types={refused!r}, or save with serialization_format='cloudpickle'.")
    return sorted(set(trusted) | set(declared))


def _save_pickle(lgb_model: Any, path: str, serialization_format: str) -> None:
    _logger.warning("Saving LightGBM models as %s: loading them runs code from the file. "
                    "The safe alternative is the 'skops' format.", serialization_format)
    with open(path, "wb") as out:
        if serialization_format == "cloudpickle":
            import cloudpickle  # noqa: PLC0415

            cloudpickle.dump(lgb_model, out, protocol=pickle.DEFAULT_PROTOCOL)
        else:
            pickle.dump(lgb_model, out, protocol=pickle.DEFAULT_PROTOCOL)


def _write_model(lgb_model: Any, local: str, serialization_format: str,
                 skops_trusted_types: list[str] | None) -> tuple[str, dict[str, Any]]:
    """Write the model file; returns its name and the flavor keys that describe it."""
    import lightgbm as lgb  # noqa: PLC0415

    if isinstance(lgb_model, lgb.Booster):
        lgb_model.save_model(os.path.join(local, "model.lgb"))
        return "model.lgb", {}
    if serialization_format == "skops":
        trusted = _save_skops(lgb_model, os.path.join(local, "model.skops"), list(skops_trusted_types or []))
        return "model.skops", {"serialization_format": "skops", "skops_trusted_types": trusted}
    _save_pickle(lgb_model, os.path.join(local, "model.pkl"), serialization_format)
    return "model.pkl", {"serialization_format": serialization_format, "skops_trusted_types": None}


def save_model(lgb_model: Any, path: str | os.PathLike[str], conda_env: Any = None,
               code_paths: list[str] | None = None, mlflow_model: Model | None = None, signature: Any = None,
               input_example: Any = None, pip_requirements: Any = None, extra_pip_requirements: Any = None,
               metadata: dict[str, Any] | None = None, serialization_format: str | None = None,
               skops_trusted_types: list[str] | None = None, **kwargs: Any) -> None:
    """Save a LightGBM Booster or scikit-learn API model as a model directory at ``path`` (which
    must not exist or be empty)."""
    import lightgbm as lgb  # noqa: PLC0415

    serialization_format = serialization_format or "skops"
    if serialization_format not in SERIALIZATION_FORMATS:
        raise InvalidParameterValue(f"Unrecognized serialization format: {serialization_format!r}. Please "
                                    f"specify one of the following supported formats: {list(SERIALIZATION_FORMATS)}.")
    if not isinstance(lgb_model, (lgb.Booster, lgb.LGBMModel)):
        raise InvalidParameterValue(
            f"lgb_model must be a lightgbm.Booster or a LightGBM scikit-learn API model, got {type(lgb_model).__name__}")
    if kwargs:
        raise InvalidParameterValue(f"save_model got unexpected arguments: {', '.join(sorted(kwargs))}")
    local = prepare_save_path(path)
    code = copy_code_paths(code_paths, local)
    model = mlflow_model if mlflow_model is not None else Model()
    if input_example is not None:
        examples.save_example(model, input_example, local)
        if signature is None:
            signature = examples.infer_signature_from_example(input_example, _LGBModelWrapper(lgb_model).predict)
    model.signature = signature or None  # signature=False: none, as in MLflow
    if metadata is not None:
        model.metadata = metadata
    data_file, format_keys = _write_model(lgb_model, local, serialization_format, skops_trusted_types)
    sklearn_api = not isinstance(lgb_model, lgb.Booster)
    env = environment.write_environment(local, get_default_pip_requirements(sklearn_api, serialization_format),
                                        conda_env, pip_requirements, extra_pip_requirements)
    pyfunc.add_to_model(model, loader_module=LOADER_MODULE, data=data_file, env=env, code=code)
    model.add_flavor(FLAVOR_NAME, lgb_version=lgb.__version__, data=data_file, model_class=class_path(lgb_model),
                     code=code, **format_keys)
    finish(model, local)


def _load_sklearn_api(path: str, serialization_format: str, declared: list[str]) -> Any:
    if serialization_format == "skops":
        skops_io = import_skops_io()

        untrusted = skops_io.get_untrusted_types(file=path)
        trusted = [t for t in untrusted if t in declared or t in LIGHTGBM_TRUSTED_TYPES]
        trusted += [t for t in library_classes(untrusted) if t not in trusted]
        return skops_io.load(path, trusted=trusted)
    if serialization_format not in ("pickle", "cloudpickle"):
        raise InvalidParameterValue(f"Unrecognized serialization format {serialization_format!r} in the lightgbm flavor")
    with open(path, "rb") as f:
        return mlflow_pickles.load(f)  # runs code from the file: trusted sources only


def _load_from_dir(model_dir: str) -> Any:
    import lightgbm as lgb  # noqa: PLC0415

    conf = Model.load(model_dir).flavor_conf(FLAVOR_NAME)
    add_code_to_path(model_dir, conf)
    data_path = os.path.join(model_dir, conf.get("data") or "model.lgb")
    cls = resolve_class(conf.get("model_class") or _BOOSTER_CLASS, "lightgbm", (lgb.Booster, lgb.LGBMModel))
    if issubclass(cls, lgb.Booster):
        return cls(model_file=data_path)
    # MLflow reads a missing serialization_format (models from before MLflow 3) as cloudpickle.
    return _load_sklearn_api(data_path, conf.get("serialization_format") or "cloudpickle",
                             list(conf.get("skops_trusted_types") or []))


def load_model(model_uri_or_local_path: str | os.PathLike[str]) -> Any:
    """The Booster or scikit-learn API model saved in a local model directory (``file:`` URIs
    accepted); ``runyard.lightgbm.load_model`` takes every model URI."""
    return _load_from_dir(local_model_dir(model_uri_or_local_path, FLAVOR_NAME))


def _load_pyfunc(path: str, model_config: dict[str, Any] | None = None) -> "_LGBModelWrapper":
    """The pyfunc implementation; ``path`` is the model's data file or its directory."""
    return _LGBModelWrapper(_load_from_dir(model_dir_of(path)))


class _LGBModelWrapper:
    """The pyfunc face: ``predict`` of the Booster or scikit-learn API model."""

    def __init__(self, lgb_model: Any) -> None:
        self.lgb_model = lgb_model

    def get_raw_model(self) -> Any:
        return self.lgb_model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.lgb_model.predict(data, **accepted_kwargs(self.lgb_model.predict, params or {}))
