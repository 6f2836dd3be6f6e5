"""A model's directory on local disk, for commands that hand it to another process or an image."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from runyard import uris
from runyard.fluent.models import download_model


@contextmanager
def local_model(model_uri: str) -> Iterator[tuple[str, bool]]:
    """(local directory of the model, whether it is a temporary download).

    A local path (or ``file:`` URI) is used where it is; any other URI (``models:/``, ``runs:/``,
    ``s3://``, ...) is downloaded into a temporary directory that is removed on exit.
    """
    if uris.is_local_uri(model_uri):
        yield os.path.abspath(download_model(model_uri)), False
        return
    tmp = tempfile.mkdtemp(prefix="runyard-model-")
    try:
        yield os.path.abspath(download_model(model_uri, os.path.join(tmp, "model"))), True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
