"""Autolog never breaks training: logging steps run here, and their failures become warnings.

``AutologgingWarning`` is the category, so users can filter it (``warnings.simplefilter("error",
AutologgingWarning)`` in a test suite, ``"ignore"`` in production) without touching other warnings.
With ``silent=True`` failures go to the debug log instead, and warnings and log records that
runyard's own logging code emits along the way are suppressed too.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from runyard.autologging.configs import AutologConfig

_logger = logging.getLogger("runyard.autologging")
_T = TypeVar("_T")


class AutologgingWarning(UserWarning):
    """Autolog could not log something; training itself went on and returned its result."""


@contextlib.contextmanager
def _quiet(silent: bool) -> Iterator[None]:
    if not silent:
        yield
        return
    runyard_logger = logging.getLogger("runyard")
    level = runyard_logger.level
    runyard_logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        runyard_logger.setLevel(level)


def warn(config: AutologConfig, message: str) -> None:
    """Tell the user about a logging failure (a debug record only, when silent)."""
    if config.silent:
        _logger.debug(message)
    else:
        warnings.warn(message, AutologgingWarning, stacklevel=4)


def safely(config: AutologConfig, what: str, step: Callable[..., _T], *args: Any, default: Any = None,
           **kwargs: Any) -> _T | Any:
    """Run one logging ``step``; any Exception becomes a warning naming ``what`` failed, and
    ``default`` is returned. KeyboardInterrupt and SystemExit still propagate."""
    try:
        with _quiet(config.silent):
            return step(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the point: a logging failure must not reach the user's fit
        warn(config, f"runyard {config.flavor} autologging could not {what}: {type(exc).__name__}: {exc}")
        return default
