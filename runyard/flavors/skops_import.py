"""Importing ``skops.io`` without the array libraries scikit-learn merely knows about.

On import, skops lists every scikit-learn estimator by importing every scikit-learn module, which
includes ``sklearn.externals.array_api_compat.torch`` (and its cupy, dask and jax twins): where
PyTorch is installed, loading a linear model then imports torch, costing seconds and ~180 MiB in a
scoring server. No estimator lives in those modules and scikit-learn's walk skips modules that fail
to import, so they are refused while skops is imported (the list of trusted types is the same). The
refusal lasts only for that import; a failed import leaves nothing in ``sys.modules``, so anything
that needs these modules later imports them as usual.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
import threading
from types import ModuleType

_ARRAY_BACKENDS = tuple(f"sklearn.externals.array_api_compat.{name}" for name in ("torch", "cupy", "dask", "jax"))
_lock = threading.Lock()


class _RefuseArrayBackends(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname in _ARRAY_BACKENDS or fullname.startswith(tuple(name + "." for name in _ARRAY_BACKENDS)):
            raise ImportError(f"{fullname} is not imported while skops lists scikit-learn's estimators")
        return None


def import_skops_io() -> ModuleType:
    """``skops.io``, imported without pulling in torch (or cupy, dask, jax) through scikit-learn."""
    loaded = sys.modules.get("skops.io")
    if loaded is not None:
        return loaded
    with _lock:
        finder = _RefuseArrayBackends()
        sys.meta_path.insert(0, finder)
        try:
            return importlib.import_module("skops.io")
        finally:
            sys.meta_path.remove(finder)
