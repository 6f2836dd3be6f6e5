"""What every handler gets: the stores and the settings of this server."""

from __future__ import annotations

from dataclasses import dataclass

from runyard.server.artifact_roots import ArtifactRoots
from runyard.server.settings import ServerSettings
from runyard.stores.registry import RegistryStore
from runyard.stores.tracking import TrackingStore


@dataclass
class Context:
    settings: ServerSettings
    tracking: TrackingStore
    artifacts: ArtifactRoots
    registry: RegistryStore
