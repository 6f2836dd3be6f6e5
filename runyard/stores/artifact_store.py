"""The artifact store interface: files under one root URI (a run's or a model's)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from runyard.entities import FileInfo


class ArtifactStore(ABC):
    """Files below ``root_uri``. No path may resolve outside that root."""

    def __init__(self, root_uri: str) -> None:
        self.root_uri = root_uri

    @abstractmethod
    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        """Copy one local file into ``artifact_path`` (a directory below the root)."""

    @abstractmethod
    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        """Copy the contents of a local directory into ``artifact_path``."""

    @abstractmethod
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """Direct children of ``path``, with paths relative to the root; [] when absent."""

    @abstractmethod
    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        """Copy a file or directory to ``dst_path`` (a new temporary directory by default)."""

    @abstractmethod
    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        """Remove a file or directory below the root."""

    def list_files(self, path: str | None = None, limit: int = 10_000) -> tuple[list[FileInfo], bool]:
        """Every file below ``path``, recursively (directories left out), with root-relative paths;
        the walk stops after ``limit`` entries (files and directories), and the flag says so."""
        files: list[FileInfo] = []
        pending: list[str | None] = [path or None]
        visited = 0
        while pending:
            for info in self.list_artifacts(pending.pop()):
                visited += 1
                if visited > limit:
                    return files, True
                if info.is_dir:
                    pending.append(info.path)
                else:
                    files.append(info)
        return files, False

    # -- streaming (the server's artifact proxy; files of any size) ---------------------------
    @abstractmethod
    def open_writer(self, artifact_file: str) -> "ArtifactWriter":
        """A writer for ``artifact_file`` (a file path below the root). Nothing is visible to
        readers until ``commit()``; ``abort()`` (or an exception inside ``with``) leaves no trace."""

    @abstractmethod
    def open_reader(self, artifact_file: str) -> "ArtifactReader":
        """A reader of ``artifact_file``; ResourceDoesNotExist when there is no such file,
        InvalidParameterValue when the path is a directory."""


class ArtifactWriter(ABC):
    """Bytes written in chunks, published atomically on ``commit``.

    ``commit`` cleans up after itself when it fails; ``abort`` is a no-op once committed or
    aborted and never raises for a storage error, so it is safe in ``finally`` and ``__exit__``.
    """

    @abstractmethod
    def write(self, chunk: bytes) -> None: ...

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def abort(self) -> None: ...

    def __enter__(self) -> "ArtifactWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


class ArtifactReader(ABC):
    """A file read in chunks; ``size`` is its length in bytes."""

    size: int

    @abstractmethod
    def read(self, n: int = -1) -> bytes: ...

    @abstractmethod
    def close(self) -> None: ...

    def chunks(self, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        """Iterate the content in chunks of at most ``chunk_size`` bytes, then close."""
        try:
            while True:
                chunk = self.read(chunk_size)
                if not chunk:
                    return
                yield chunk
        finally:
            self.close()

    def __enter__(self) -> "ArtifactReader":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()
