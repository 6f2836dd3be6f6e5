"""``runyard.pyfunc``: custom Python models and the generic ``load_model`` for every model URI.

Loading a pickled model (a custom ``PythonModel``, a scikit-learn model saved with pickle or
cloudpickle) runs code from the model's files: load models only from sources you trust.
"""

from __future__ import annotations

import os
from typing import Any

from runyard.flavors import python_model as _python_model
from runyard.flavors import spark_udf as _spark_udf
from runyard.flavors.loading import load_pyfunc as _load_local
from runyard.fluent import models as _models
from runyard.models.model import ModelInfo
from runyard.models.pyfunc import FLAVOR_NAME, PyFuncModel, PythonModel, PythonModelContext

__all__ = ["FLAVOR_NAME", "PyFuncModel", "PythonModel", "PythonModelContext", "get_model_dependencies",
           "load_model", "log_model", "save_model", "spark_udf"]


def save_model(path: str | os.PathLike[str], loader_module: str | None = None, data_path: str | None = None,
               code_paths: list[str] | None = None, conda_env: Any = None, mlflow_model: Any = None,
               python_model: Any = None, artifacts: dict[str, Any] | None = None, signature: Any = None,
               input_example: Any = None, pip_requirements: Any = None, extra_pip_requirements: Any = None,
               metadata: dict[str, Any] | None = None, model_config: dict[str, Any] | None = None,
               **kwargs: Any) -> None:
    """Save a custom model (a ``PythonModel`` with ``artifacts``, or a ``loader_module`` with its
    ``data_path``) as a model directory at ``path``."""
    with _models.local_artifacts(artifacts) as local:
        _python_model.save_model(path, python_model=python_model, artifacts=local, loader_module=loader_module,
                                 data_path=data_path, code_paths=code_paths, conda_env=conda_env,
                                 mlflow_model=mlflow_model, signature=signature, input_example=input_example,
                                 pip_requirements=pip_requirements, extra_pip_requirements=extra_pip_requirements,
                                 metadata=metadata, model_config=model_config, **kwargs)


def log_model(artifact_path: str | None = None, loader_module: str | None = None, data_path: str | None = None,
              code_paths: list[str] | None = None, conda_env: Any = None, python_model: Any = None,
              artifacts: dict[str, Any] | None = None, registered_model_name: str | None = None,
              signature: Any = None, input_example: Any = None, await_registration_for: int = 300,
              pip_requirements: Any = None, extra_pip_requirements: Any = None,
              metadata: dict[str, Any] | None = None, model_config: dict[str, Any] | None = None, *,
              name: str | None = None, params: dict[str, Any] | None = None, tags: dict[str, Any] | None = None,
              model_type: str | None = None, step: int = 0, model_id: str | None = None) -> ModelInfo:
    """Log a custom model as a logged model of the active run; returns its ModelInfo."""
    with _models.local_artifacts(artifacts) as local:
        return _models.log_model(
            _python_model.save_model, name, artifact_path=artifact_path, params=params, tags=tags,
            model_type=model_type, step=step, model_id=model_id, registered_model_name=registered_model_name,
            python_model=python_model, artifacts=local, loader_module=loader_module, data_path=data_path,
            code_paths=code_paths, conda_env=conda_env, signature=signature, input_example=input_example,
            pip_requirements=pip_requirements, extra_pip_requirements=extra_pip_requirements, metadata=metadata,
            model_config=model_config)


def load_model(model_uri: str, suppress_warnings: bool = False, dst_path: str | None = None,
               model_config: dict[str, Any] | None = None) -> PyFuncModel:
    """Load any model with a ``python_function`` flavor, from a local path, ``runs:/<run>/<path>``,
    ``models:/<model_id>``, ``s3://`` or ``mlflow-artifacts:/`` URI."""
    return _load_local(_models.download_model(model_uri, dst_path), model_config)


def get_model_dependencies(model_uri: str, format: str = "pip") -> str:  # noqa: A002 - MLflow's name
    """The local path of the model's ``requirements.txt`` (``format="pip"``) or ``conda.yaml``."""
    if format not in ("pip", "conda"):
        raise ValueError(f"Illegal format argument {format!r}: expected 'pip' or 'conda'")
    local = _models.download_model(model_uri)
    return os.path.join(local, "requirements.txt" if format == "pip" else "conda.yaml")


def spark_udf(spark: Any, model_uri: str, result_type: Any = None, env_manager: str | None = None,
              params: dict[str, Any] | None = None, extra_env: dict[str, str] | None = None,
              prebuilt_env_uri: str | None = None, model_config: dict[str, Any] | str | None = None) -> Any:
    """A Spark pandas UDF that scores the model at ``model_uri`` (any model URI) on Spark's executors.

    Call it with column names, Columns or one ``struct(...)``, or with no arguments when the signature
    names its inputs. ``result_type`` (a pyspark DataType or DDL string; default: from the output
    schema, else ``double``) picks what is returned. Only ``env_manager="local"`` is supported: the
    executors need runyard and the model's requirements installed."""
    _spark_udf.check_environment(env_manager, prebuilt_env_uri)
    return _spark_udf.spark_udf(spark, _models.download_model(model_uri), result_type, params=params,
                                extra_env=extra_env, model_config=model_config)
