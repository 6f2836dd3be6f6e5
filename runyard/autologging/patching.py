"""Reversible patches of framework functions and methods, grouped by flavor.

A patch sets a wrapper as the owner's own attribute (a class's ``fit``, a module's ``train``) and
remembers what the owner held itself before, so ``unpatch`` restores exactly that: the original
function, or nothing when the class inherited the method. Patching twice is a no-op, which makes
``autolog()`` safe to call repeatedly.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_MISSING = object()
_WRAPPER_MARK = "__runyard_autolog_flavor__"


@dataclass(frozen=True)
class _Patch:
    owner: Any
    name: str
    previous: Any  # the owner's own attribute before patching, or _MISSING
    wrapper: Any


_patches: dict[str, list[_Patch]] = {}
_lock = threading.RLock()


def original_function(func: Any) -> Any:
    """The unpatched function behind an autolog wrapper (``func`` itself when not patched)."""
    while getattr(func, _WRAPPER_MARK, None) is not None:
        func = func.__wrapped__
    return func


def is_patched(owner: Any, name: str, flavor: str | None = None) -> bool:
    """Whether ``owner.name`` is currently a runyard autolog wrapper (of ``flavor``, if given)."""
    raw = owner.__dict__.get(name, None) if hasattr(owner, "__dict__") else None
    if isinstance(raw, (staticmethod, classmethod)):
        raw = raw.__func__
    mark = getattr(raw, _WRAPPER_MARK, None)
    return mark is not None and (flavor is None or mark == flavor)


def patch(flavor: str, owner: Any, name: str, make_wrapper: Callable[[Callable[..., Any]], Callable[..., Any]]) -> bool:
    """Replace ``owner.name`` by ``make_wrapper(original)``; returns False when there is nothing
    plain to patch (no such attribute, a property, a builtin slot) or it is patched already."""
    with _lock:
        if is_patched(owner, name):
            return False
        try:
            raw = inspect.getattr_static(owner, name)
        except AttributeError:
            return False
        kind = type(raw) if isinstance(raw, (staticmethod, classmethod)) else None
        function = raw.__func__ if kind is not None else raw
        if not inspect.isfunction(function):
            return False
        wrapper = make_wrapper(function)
        functools.update_wrapper(wrapper, function)
        setattr(wrapper, _WRAPPER_MARK, flavor)
        previous = owner.__dict__.get(name, _MISSING)
        setattr(owner, name, kind(wrapper) if kind is not None else wrapper)
        _patches.setdefault(flavor, []).append(_Patch(owner, name, previous, wrapper))
        return True


def unpatch(flavor: str) -> int:
    """Undo every patch of ``flavor`` (newest first); returns how many were undone."""
    with _lock:
        patches = _patches.pop(flavor, [])
        for applied in reversed(patches):
            current = applied.owner.__dict__.get(applied.name, _MISSING)
            raw = current.__func__ if isinstance(current, (staticmethod, classmethod)) else current
            if raw is not applied.wrapper:
                continue  # someone replaced our wrapper since: leave theirs alone
            if applied.previous is _MISSING:
                delattr(applied.owner, applied.name)
            else:
                setattr(applied.owner, applied.name, applied.previous)
        return len(patches)


def patched_count(flavor: str) -> int:
    return len(_patches.get(flavor, ()))
