"""Building many small objects at once without the cyclic garbage collector in the way."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause automatic garbage collection while bulk-building objects.

    Materialising thousands of runs allocates hundreds of thousands of containers; every 700 of
    them trigger a collection that walks the young objects again, which costs a quarter of the
    time. Nothing built here forms reference cycles, so nothing is lost by waiting.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
