"""Directories built once and then reused: model environments and runyard wheels.

A directory counts as built only when its marker file exists, and the marker is written last, so
a build that was interrupted (killed, out of disk, a failing ``pip``) is never mistaken for a
finished one: the next caller removes it and builds again. Builders of the same directory take an
exclusive ``flock`` on a lock file beside it, so two processes starting at once build it once: the
second waits, then finds the marker.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

MARKER = ".runyard-built"


def is_built(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds a finished build (its marker exists)."""
    return (Path(path) / MARKER).is_file()


def marker_of(path: str | os.PathLike[str]) -> Path:
    """The marker file of a built directory (its mtime says when the build finished)."""
    return Path(path) / MARKER


def ensure_built(path: str | os.PathLike[str], build: Callable[[Path], None],
                 on_wait: Callable[[], None] | None = None) -> bool:
    """Make sure ``path`` holds a finished build: reuse it when its marker exists, otherwise build
    it with ``build(path)`` (into a fresh, empty directory) and write the marker.

    Returns True when this call built it, False when it was reused. ``on_wait`` is called once if
    another process holds the lock (it is building the same directory).
    """
    target = Path(path)
    if is_built(target):
        return False
    with locked(target, on_wait):
        if is_built(target):
            return False
        if target.exists():
            shutil.rmtree(target)  # a half-built leftover of an interrupted build
        target.mkdir(parents=True)
        build(target)
        marker_of(target).write_text(f"{int(time.time() * 1000)}\n", encoding="utf-8")
        return True


@contextmanager
def locked(path: str | os.PathLike[str], on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the exclusive build lock of ``path`` (a ``.<name>.lock`` file beside it)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "a+b") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
