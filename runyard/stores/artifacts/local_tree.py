"""Walking a local directory that is being uploaded: symlinked directories followed, cycles not."""

from __future__ import annotations

import os
from collections.abc import Iterator


def first_visit(seen: set[str], path: str) -> bool:
    """Record ``path``'s real location; False when it was seen before (a symlink cycle)."""
    real = os.path.realpath(path)
    if real in seen:
        return False
    seen.add(real)
    return True


def walk_local_dir(local_dir: str) -> Iterator[tuple[str, str, list[str], list[str]]]:
    """Like :func:`os.walk` with ``followlinks=True``, but each real directory is visited once.

    Yields ``(dirpath, rel_dir, dirnames, filenames)`` where ``rel_dir`` is ``dirpath`` relative to
    ``local_dir`` with '/' separators (``''`` for ``local_dir`` itself).
    """
    seen = {os.path.realpath(local_dir)}
    for dirpath, dirnames, filenames in os.walk(local_dir, followlinks=True):
        # Follow symlinked directories as a copy would, but never around a cycle.
        dirnames[:] = [d for d in dirnames if first_visit(seen, os.path.join(dirpath, d))]
        rel_dir = os.path.relpath(dirpath, local_dir).replace(os.sep, "/")
        yield dirpath, ("" if rel_dir == "." else rel_dir), dirnames, filenames
