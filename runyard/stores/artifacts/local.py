"""Artifacts in a local directory (the embedded store, or a server's local artifact root)."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import BinaryIO

from runyard.entities import FileInfo
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist
from runyard.stores.artifact_store import ArtifactReader, ArtifactStore, ArtifactWriter
from runyard.stores.artifacts.local_streams import TEMP_PREFIX, LocalArtifactReader, LocalArtifactWriter
from runyard.stores.artifacts.local_tree import first_visit, walk_local_dir
from runyard.stores.artifacts.paths import contained_path, is_within, safe_relative_path
from runyard.uris import local_path_of

__all__ = ["TEMP_PREFIX", "LocalArtifactStore"]

_CHUNK = 1024 * 1024


def _makedirs_private(path: str) -> None:
    """Create ``path`` and any missing parents with mode 0o700 (existing ones are untouched)."""
    if os.path.isdir(path):
        return
    parent = os.path.dirname(path)
    if parent and parent != path:
        _makedirs_private(parent)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        if not os.path.isdir(path):
            raise InvalidParameterValue("An artifact file exists where a directory is needed") from None


def _write_atomically(dst: str, source: BinaryIO | bytes) -> None:
    """Write to a temporary file beside ``dst`` and rename it into place."""
    with LocalArtifactWriter(dst) as writer:
        if isinstance(source, bytes):
            writer.write(source)
        else:
            while chunk := source.read(_CHUNK):
                writer.write(chunk)


class LocalArtifactStore(ArtifactStore):
    """Files below a local directory named by a ``file://`` URI or a plain path."""

    def __init__(self, root_uri: str) -> None:
        super().__init__(root_uri)
        self.root_path = local_path_of(root_uri)

    def _resolve(self, path: str | None, field: str = "artifact_path") -> tuple[str, str]:
        rel = safe_relative_path(path, field)
        if any(part.startswith(TEMP_PREFIX) for part in rel.split("/")):
            # Reading, replacing or deleting another writer's half-written file is never allowed.
            raise InvalidParameterValue(
                f"Invalid {field} {path!r}: names starting with {TEMP_PREFIX!r} are reserved for uploads in progress"
            )
        return rel, contained_path(self.root_path, rel)

    def _resolve_file(self, artifact_file: str) -> tuple[str, str]:
        rel, path = self._resolve(artifact_file, "artifact_file")
        if not rel:
            raise InvalidParameterValue("Invalid artifact_file: a file name is required")
        return rel, path

    def _target_dir(self, artifact_path: str | None) -> tuple[str, str]:
        rel, dst_dir = self._resolve(artifact_path)
        _makedirs_private(dst_dir)
        return rel, dst_dir

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        """Copy one local file to ``<root>/<artifact_path>/<basename>``."""
        if not os.path.exists(local_file):
            raise ResourceDoesNotExist(f"Local file {local_file!r} does not exist")
        if os.path.isdir(local_file):
            raise InvalidParameterValue(f"{local_file!r} is a directory; use log_artifacts")
        prefix = safe_relative_path(artifact_path)
        name = os.path.basename(local_file)
        _, dst = self._resolve(f"{prefix}/{name}" if prefix else name)
        _makedirs_private(os.path.dirname(dst))
        with open(local_file, "rb") as src:
            _write_atomically(dst, src)

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        """Copy the contents of ``local_dir`` (recursively) into ``artifact_path``."""
        if not os.path.isdir(local_dir):
            raise ResourceDoesNotExist(f"Local directory {local_dir!r} does not exist")
        prefix = safe_relative_path(artifact_path)
        self._target_dir(prefix)
        for dirpath, rel_dir, dirnames, filenames in walk_local_dir(local_dir):
            base = "/".join(p for p in (prefix, rel_dir) if p)
            for dirname in dirnames:
                self._target_dir(f"{base}/{dirname}" if base else dirname)
            for filename in filenames:
                _, dst = self._resolve(f"{base}/{filename}" if base else filename)
                with open(os.path.join(dirpath, filename), "rb") as src:
                    _write_atomically(dst, src)

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """Direct children of ``path`` with root-relative '/' paths, sorted; [] when absent."""
        rel, directory = self._resolve(path, "path")
        if not os.path.isdir(directory):
            return []
        root_real = os.path.realpath(self.root_path)
        infos = []
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.startswith(TEMP_PREFIX):
                    continue
                if entry.is_symlink() and not is_within(root_real, entry.path):
                    continue
                child = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir():
                    infos.append(FileInfo(path=child, is_dir=True, file_size=None))
                elif entry.is_file():
                    infos.append(FileInfo(path=child, is_dir=False, file_size=entry.stat().st_size))
        return sorted(infos, key=lambda info: info.path)

    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        """Copy a file or directory to ``dst_path`` (default: a new temporary directory).

        The copy lands at ``<dst_path>/<artifact_path>``; that local path is returned.
        """
        rel, src = self._resolve(artifact_path)
        if not os.path.exists(src):
            raise ResourceDoesNotExist(f"No artifact found at path {rel or '/'!r}")
        dst_root = tempfile.mkdtemp() if dst_path is None else os.path.abspath(dst_path)
        dst = os.path.join(dst_root, *rel.split("/")) if rel else dst_root
        if os.path.isdir(src):
            self._copy_tree(src, dst)
        else:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(src, dst)
        return dst

    def _copy_tree(self, src: str, dst: str, seen: set[str] | None = None) -> None:
        root_real = os.path.realpath(self.root_path)
        seen = {os.path.realpath(src)} if seen is None else seen
        os.makedirs(dst, exist_ok=True)
        with os.scandir(src) as entries:
            for entry in entries:
                if entry.name.startswith(TEMP_PREFIX):
                    continue
                # Items a listing would hide (symlinks leaving the root) are not downloaded either.
                if entry.is_symlink() and not is_within(root_real, entry.path):
                    continue
                target = os.path.join(dst, entry.name)
                if entry.is_dir():
                    if first_visit(seen, entry.path):
                        self._copy_tree(entry.path, target, seen)
                elif entry.is_file():
                    shutil.copyfile(entry.path, target)

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        """Remove a file or directory below the root (the whole root when no path is given)."""
        _, target = self._resolve(artifact_path)
        if os.path.islink(target) or os.path.isfile(target):
            os.unlink(target)
        elif os.path.isdir(target):
            shutil.rmtree(target)

    def write_bytes(self, artifact_file: str, data: bytes) -> None:
        """Write ``data`` to ``artifact_file`` (temporary file, then rename)."""
        with self.open_writer(artifact_file) as writer:
            writer.write(bytes(data))

    def open_writer(self, artifact_file: str) -> ArtifactWriter:
        """A writer into a private temporary file beside ``artifact_file``, renamed on commit."""
        _, dst = self._resolve_file(artifact_file)
        _makedirs_private(os.path.dirname(dst))
        return LocalArtifactWriter(dst)

    def open_reader(self, artifact_file: str) -> ArtifactReader:
        """A reader of ``artifact_file`` (ResourceDoesNotExist / InvalidParameterValue for a directory)."""
        rel, src = self._resolve(artifact_file, "artifact_file")
        if not rel:
            raise InvalidParameterValue("Invalid artifact_file: a file name is required, not the artifact root")
        return LocalArtifactReader(src, rel)

    def read_bytes(self, artifact_file: str) -> bytes:
        """The content of ``artifact_file``; ResourceDoesNotExist when it is not a file."""
        rel, src = self._resolve(artifact_file, "artifact_file")
        if not os.path.isfile(src):
            raise ResourceDoesNotExist(f"No artifact file found at path {rel or '/'!r}")
        with open(src, "rb") as f:
            return f.read()
