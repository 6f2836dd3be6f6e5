"""One autolog configuration per flavor, read by the patched functions at every call.

``autolog(...)`` of a flavor stores its arguments here (replacing any earlier ones), so calling it
again changes what the next ``fit`` logs without patching twice; ``disable=True`` removes them.
"""

from __future__ import annotations

import importlib.metadata as metadata
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# flavor -> (distribution, oldest and newest release autolog is tested with)
SUPPORTED_VERSIONS: dict[str, tuple[str, str, str]] = {
    "sklearn": ("scikit-learn", "1.3.0", "1.9.1"),
    "xgboost": ("xgboost", "2.0.0", "3.2.0"),
    "lightgbm": ("lightgbm", "4.0.0", "4.7.0"),
    "pytorch": ("pytorch-lightning", "2.4.0", "2.6.6"),  # `lightning` installs pytorch-lightning too
}


@dataclass(frozen=True)
class AutologConfig:
    """The arguments every flavor's ``autolog`` takes, plus the flavor's own in ``options``."""

    flavor: str
    log_models: bool = True
    log_input_examples: bool = False
    log_model_signatures: bool = True
    log_datasets: bool = True
    exclusive: bool = False
    silent: bool = False
    registered_model_name: str | None = None
    extra_tags: Mapping[str, Any] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def option(self, name: str, default: Any = None) -> Any:
        """A flavor-specific argument (``max_tuning_runs``, ``importance_types``, ...)."""
        return self.options.get(name, default)


_configs: dict[str, AutologConfig] = {}
_lock = threading.Lock()


def set_config(config: AutologConfig) -> None:
    with _lock:
        _configs[config.flavor] = config


def get_config(flavor: str) -> AutologConfig | None:
    """The flavor's active configuration; None when its autolog is off."""
    return _configs.get(flavor)


def clear_config(flavor: str) -> None:
    with _lock:
        _configs.pop(flavor, None)


def enabled_flavors() -> list[str]:
    return sorted(_configs)


def _release(version: str) -> tuple[int, ...]:
    """Leading numeric release parts: '1.9.1' -> (1, 9, 1), '2.1.0rc1' -> (2, 1, 0)."""
    parts: list[int] = []
    for piece in version.split("+", 1)[0].split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
        if digits != piece:
            break
    return tuple(parts)


def is_supported_version(flavor: str) -> bool:
    """Whether the installed framework is within the range autolog is tested with."""
    distribution, oldest, newest = SUPPORTED_VERSIONS[flavor]
    try:
        installed = _release(metadata.version(distribution))
    except metadata.PackageNotFoundError:
        return False
    return _release(oldest) <= installed[:3] <= _release(newest)
