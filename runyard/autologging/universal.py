"""``runyard.autolog()``: autologging for every supported framework that is installed."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from typing import Any

# flavor -> (the framework's import name, runyard's autolog module)
FLAVORS = {
    "sklearn": ("sklearn", "runyard.autologging.sklearn"),
    "xgboost": ("xgboost", "runyard.autologging.xgboost"),
    "lightgbm": ("lightgbm", "runyard.autologging.lightgbm"),
    "pytorch": (("lightning", "pytorch_lightning"), "runyard.autologging.pytorch"),  # Lightning's Trainer
}


def _installed(modules: str | tuple[str, ...]) -> bool:
    """Whether the framework (any of several import names) is installed, without importing it."""
    for module in (modules,) if isinstance(modules, str) else modules:
        try:
            if importlib.util.find_spec(module) is not None:
                return True
        except (ImportError, ValueError):
            continue
    return False


def autolog(log_input_examples: bool = False, log_model_signatures: bool = True, log_models: bool = True,
            log_datasets: bool = True, log_traces: bool = True, disable: bool = False, exclusive: bool = False,
            disable_for_unsupported_versions: bool = False, silent: bool = False,
            extra_tags: dict[str, str] | None = None, exclude_flavors: list[str] | None = None) -> None:
    """Enable (or disable) autologging for scikit-learn, XGBoost, LightGBM and PyTorch Lightning,
    each that is installed, with these common settings; each flavor keeps its own defaults for the rest.
    ``log_traces`` is accepted for compatibility (runyard records no traces)."""
    settings: dict[str, Any] = {
        "log_input_examples": log_input_examples, "log_model_signatures": log_model_signatures,
        "log_models": log_models, "log_datasets": log_datasets, "disable": disable, "exclusive": exclusive,
        "disable_for_unsupported_versions": disable_for_unsupported_versions, "silent": silent,
        "extra_tags": extra_tags,
    }
    excluded = set(exclude_flavors or ())
    for flavor, (framework, module_name) in FLAVORS.items():
        if flavor in excluded or not _installed(framework):
            continue
        flavor_autolog = importlib.import_module(module_name).autolog
        accepted = inspect.signature(flavor_autolog).parameters
        flavor_autolog(**{k: v for k, v in settings.items() if k in accepted})
