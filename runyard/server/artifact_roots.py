"""Which artifact locations the server itself may read and write, and nothing else.

The server touches artifacts in exactly two places: the proxy destination (``mlflow-artifacts:/``
paths) and the operator's default artifact root. Any other location a client names (an
experiment's ``artifact_location``, a run's ``artifact_uri``) is metadata the server stores but
never opens: no reads outside the roots, no connections to hosts a client chose.
"""

from __future__ import annotations

from runyard import uris
from runyard.errors import InvalidParameterValue, PermissionDenied
from runyard.server.settings import PROXY_ROOT, ServerSettings
from runyard.stores.artifact_store import ArtifactStore
from runyard.stores.artifacts.paths import safe_relative_path
from runyard.stores.factory import artifact_store_for

_PROXY_SCHEME = "mlflow-artifacts:"


def _proxy_relative(uri: str) -> str:
    """The destination-relative path of a ``mlflow-artifacts:`` URI (host-less forms only)."""
    rest = uri[len(_PROXY_SCHEME):]
    if rest.startswith("//"):
        # mlflow-artifacts://host:port/path names a server; only the path part is ours.
        slash = rest.find("/", 2)
        rest = "" if slash < 0 else rest[slash:]
    return safe_relative_path(rest.lstrip("/"), "artifact location")


class ArtifactRoots:
    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.destination = settings.artifacts_destination
        self.default_root = settings.effective_artifact_root
        self._destination_store: ArtifactStore | None = None

    def destination_store(self) -> ArtifactStore:
        if self._destination_store is None:
            self._destination_store = artifact_store_for(self.destination)
        return self._destination_store

    def proxy_path(self, path: str) -> str:
        """Validate a path below the proxy destination (as given on ``/mlflow-artifacts/...``)."""
        return safe_relative_path(path, "path")

    def store_for(self, artifact_uri: str) -> tuple[ArtifactStore, str]:
        """(store, path below that store's root) for an artifact URI the server may open."""
        if artifact_uri.startswith(_PROXY_SCHEME):
            if not self.settings.serve_artifacts:
                raise PermissionDenied("This server does not serve artifacts (--no-serve-artifacts)")
            return self.destination_store(), _proxy_relative(artifact_uri)
        for root in {self.default_root, self.destination}:
            if root.startswith(_PROXY_SCHEME):
                continue
            prefix = root.rstrip("/") + "/"
            if artifact_uri == root.rstrip("/") or artifact_uri.startswith(prefix):
                rel = safe_relative_path(artifact_uri[len(prefix):] if artifact_uri.startswith(prefix) else "",
                                         "artifact location")
                return artifact_store_for(root), rel
        raise PermissionDenied(
            "These artifacts live outside the artifact roots this server manages; the server does not "
            "open client-chosen locations. Read them from their location directly."
        )

    def check_client_location(self, location: str) -> None:
        """Refuse an experiment ``artifact_location`` that names a server-local path outside the roots."""
        if location.startswith(_PROXY_SCHEME):
            try:
                _proxy_relative(location)
            except InvalidParameterValue as exc:
                raise InvalidParameterValue(f"Invalid artifact_location {location!r}: {exc.message}") from None
            return
        if not uris.is_local_uri(location):
            return  # remote object-store URIs are metadata; the server never connects to them
        try:
            self.store_for(uris.path_to_file_uri(uris.local_path_of(location)))
        except (PermissionDenied, InvalidParameterValue):
            raise InvalidParameterValue(
                f"Invalid artifact_location {location!r}: a local path must lie inside the server's "
                "artifact root; use an object-store URI or leave it unset"
            ) from None
