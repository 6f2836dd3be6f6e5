"""Artifact store implementations; each imports its storage client only when constructed."""

from runyard.stores.artifacts.local import LocalArtifactStore

__all__ = ["LocalArtifactStore"]
