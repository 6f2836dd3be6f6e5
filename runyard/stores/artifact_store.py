"""The artifact store interface: files under one root URI (a run's or a model's)."""

from __future__ import annotations

from abc import ABC, abstractmethod

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
