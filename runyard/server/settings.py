"""Server settings: what `runyard server` was started with, passed to every worker process."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from runyard import uris

DEFAULT_PORT = 5000
DEFAULT_WORKERS = 2
DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024
PROXY_ROOT = "mlflow-artifacts:/"


@dataclass(frozen=True)
class ServerSettings:
    backend_store_uri: str
    # Where new experiments put their artifacts. None: the proxy (mlflow-artifacts:/) when
    # serving artifacts, else the artifacts destination itself.
    default_artifact_root: str | None = None
    artifacts_destination: str = field(default_factory=lambda: uris.path_to_file_uri("mlartifacts"))
    serve_artifacts: bool = True
    artifacts_only: bool = False
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int = DEFAULT_WORKERS
    allowed_hosts: tuple[str, ...] = ()
    cors_allowed_origins: tuple[str, ...] = ()
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    # A promotion-policy file (absolute path) the registry enforces on stage transitions.
    promotion_policy: str | None = None

    @property
    def effective_artifact_root(self) -> str:
        if self.default_artifact_root:
            return self.default_artifact_root
        return PROXY_ROOT if self.serve_artifacts else self.artifacts_destination

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "ServerSettings":
        data = json.loads(text)
        for key in ("allowed_hosts", "cors_allowed_origins"):
            data[key] = tuple(data.get(key) or ())
        return cls(**data)


def absolute_destination(destination: str) -> str:
    """A local destination as an absolute file URI (workers may start in another directory)."""
    if uris.is_local_uri(destination):
        return uris.path_to_file_uri(os.path.abspath(uris.local_path_of(destination)))
    return destination
