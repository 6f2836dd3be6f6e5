"""runyard: experiment tracking that speaks MLflow.

``import runyard as mlflow`` runs MLflow tracking scripts unchanged. Importing this package stays
light: stores, SQLAlchemy, pandas and numpy load only when first used.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a sixth of the import)
if TYPE_CHECKING:
    from typing import Any

    # for type checkers and IDEs; at run time names load on first use (below)
    from runyard import (artifacts, entities, exceptions, lightgbm, metrics, models, pyfunc, pytorch, sklearn,
                         tracking, xgboost)
    from runyard.autologging import autolog
    from runyard.client import MlflowClient, RunOperations, RunyardClient
    from runyard.errors import MlflowException, RunyardException
    from runyard.fluent import (
        ActiveRun,
        active_run,
        create_experiment,
        delete_experiment,
        delete_experiment_tag,
        delete_run,
        delete_tag,
        end_run,
        flush_async_logging,
        get_artifact_uri,
        get_experiment,
        get_experiment_by_name,
        get_parent_run,
        get_registry_uri,
        get_run,
        get_tracking_uri,
        is_tracking_uri_set,
        last_active_run,
        log_artifact,
        log_artifacts,
        log_dict,
        log_figure,
        log_image,
        log_input,
        log_metric,
        log_metrics,
        log_param,
        log_params,
        log_text,
        register_model,
        restore_experiment,
        restore_run,
        search_experiments,
        search_model_versions,
        search_registered_models,
        search_runs,
        set_experiment,
        set_experiment_tag,
        set_experiment_tags,
        set_registry_uri,
        set_tag,
        set_tags,
        set_tracking_uri,
        start_run,
    )
    from runyard.evaluation.deprecated import evaluate
    from runyard.fluent.models import get_logged_model, last_logged_model, search_logged_models

from runyard.version import __version__

__all__ = [
    "ActiveRun",
    "MlflowClient",
    "MlflowException",
    "RunOperations",
    "RunyardClient",
    "RunyardException",
    "__version__",
    "active_run",
    "artifacts",
    "autolog",
    "create_experiment",
    "delete_experiment",
    "delete_experiment_tag",
    "delete_run",
    "delete_tag",
    "end_run",
    "entities",
    "evaluate",
    "exceptions",
    "flush_async_logging",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_logged_model",
    "get_parent_run",
    "get_registry_uri",
    "get_run",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "last_active_run",
    "last_logged_model",
    "lightgbm",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "metrics",
    "models",
    "pyfunc",
    "pytorch",
    "register_model",
    "restore_experiment",
    "restore_run",
    "search_experiments",
    "search_logged_models",
    "search_model_versions",
    "search_registered_models",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_registry_uri",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "sklearn",
    "start_run",
    "tracking",
    "xgboost",
]

_SUBMODULES = frozenset({"artifacts", "entities", "exceptions", "lightgbm", "metrics", "models", "pyfunc", "pytorch",
                         "sklearn", "tracking", "xgboost"})
_CLIENT = {"MlflowClient": "runyard.client", "RunOperations": "runyard.client", "RunyardClient": "runyard.client",
           "MlflowException": "runyard.errors", "RunyardException": "runyard.errors",
           # Logged models load the model-format stack (numpy): kept out of runyard.fluent's import.
           "get_logged_model": "runyard.fluent.models", "last_logged_model": "runyard.fluent.models",
           "search_logged_models": "runyard.fluent.models", "autolog": "runyard.autologging",
           # Deprecated alias of runyard.models.evaluate (warns when called).
           "evaluate": "runyard.evaluation.deprecated"}
# Everything else in __all__ is a fluent function (or ActiveRun) from runyard.fluent.
_FLUENT = frozenset(__all__) - _SUBMODULES - set(_CLIENT) - {"__version__"}


def __getattr__(name: str) -> Any:
    # Importing runyard loads nothing but this module: the fluent API, the client and the
    # entities load on first use, so CLI tools and scripts that only import runyard start fast.
    if name in _SUBMODULES:
        module = importlib.import_module(f"runyard.{name}")
    elif name in _CLIENT or name in _FLUENT:
        module = importlib.import_module(_CLIENT.get(name, "runyard.fluent"))
        value = getattr(module, name)
        globals()[name] = value
        return value
    else:
        raise AttributeError(f"module 'runyard' has no attribute {name!r}")
    globals()[name] = module
    return module


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


