"""Loggers that import ``logging`` only when something is logged.

``logging`` costs about a tenth of ``import runyard``; runyard logs only on failures.
"""

from __future__ import annotations

from typing import Any


class LazyLogger:
    """Stands in for ``logging.getLogger(name)`` until first used."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        import logging  # noqa: PLC0415 - the point of this class

        return getattr(logging.getLogger(self._name), attribute)


def get_logger(name: str) -> LazyLogger:
    return LazyLogger(name)
