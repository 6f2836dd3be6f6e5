"""The model directory itself: a fresh target for ``save_model``, ``code_paths`` copied into
``code/`` and put on ``sys.path`` when the model loads, and the finishing MLmodel write."""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any

from runyard.errors import InvalidParameterValue, ResourceAlreadyExists
from runyard.models.model import MLMODEL_FILE_NAME, Model, model_size_bytes

CODE_DIR = "code"


def prepare_save_path(path: str | os.PathLike[str]) -> str:
    """An absolute, empty directory at ``path`` (created); a non-empty one is refused, as in MLflow."""
    local = os.path.abspath(os.fspath(path))
    if os.path.exists(local):
        if not os.path.isdir(local):
            raise ResourceAlreadyExists(f"Path '{local}' already exists and is not empty")
        with os.scandir(local) as entries:
            if any(entries):
                raise ResourceAlreadyExists(f"Path '{local}' already exists and is not empty")
    os.makedirs(local, exist_ok=True)
    return local


def copy_code_paths(code_paths: Any, path: str) -> str | None:
    """Copy each file or directory of ``code_paths`` into ``<path>/code``; returns ``"code"`` (the
    flavor's ``code`` entry) or None when there are none."""
    if code_paths is None:
        return None
    if isinstance(code_paths, (str, os.PathLike)) or not all(isinstance(p, (str, os.PathLike)) for p in code_paths):
        raise InvalidParameterValue(f"code_paths must be a list of file or directory paths, got {code_paths!r}")
    target = os.path.join(path, CODE_DIR)
    os.makedirs(target, exist_ok=True)
    for code_path in code_paths:
        source = os.path.abspath(os.fspath(code_path))
        if not os.path.exists(source):
            raise InvalidParameterValue(f"code_paths: {os.fspath(code_path)!r} does not exist")
        destination = os.path.join(target, os.path.basename(source.rstrip(os.sep)))
        if os.path.isdir(source):
            shutil.copytree(source, destination, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, destination)
    return CODE_DIR


def add_code_to_path(model_dir: str, conf: dict[str, Any], key: str = CODE_DIR) -> None:
    """Put the model's ``code/`` directory first on ``sys.path`` when the flavor names one."""
    code = conf.get(key)
    if code:
        code_path = os.path.join(model_dir, code)
        if code_path not in sys.path:
            sys.path.insert(0, code_path)


def finish(model: Model, path: str) -> None:
    """Record the directory's size and write the MLmodel file (the last step of every save)."""
    model.model_size_bytes = model_size_bytes(path)
    model.save(os.path.join(path, MLMODEL_FILE_NAME))
