"""Starting the server: settings from CLI arguments, schema migration, uvicorn."""

from __future__ import annotations

import os
from runyard import config, uris
from runyard.errors import InvalidParameterValue
from runyard.server.settings import DEFAULT_MAX_REQUEST_BYTES, DEFAULT_WORKERS, ServerSettings, absolute_destination
from runyard.stores.factory import load_promotion_policy


def _default_destination(backend_store_uri: str) -> str:
    path = uris.sqlite_path_of(backend_store_uri) if uris.scheme_of(backend_store_uri) == "sqlite" else None
    base = os.path.dirname(path) if path else os.getcwd()
    return uris.path_to_file_uri(os.path.join(base, uris.DEFAULT_ARTIFACT_DIR))


def build_settings(*, backend_store_uri: str, default_artifact_root: str | None = None,
                   artifacts_destination: str | None = None, serve_artifacts: bool = True,
                   artifacts_only: bool = False, host: str = "127.0.0.1", port: int = 5000,
                   workers: int | None = None, allowed_hosts: tuple[str, ...] = (),
                   cors_allowed_origins: tuple[str, ...] = (), max_request_bytes: int | None = None,
                   promotion_policy: str | None = None) -> ServerSettings:
    destination = absolute_destination(artifacts_destination or _default_destination(backend_store_uri))
    root = default_artifact_root
    if root and uris.is_local_uri(root):
        root = absolute_destination(root)
    return ServerSettings(
        backend_store_uri=backend_store_uri,
        default_artifact_root=root,
        artifacts_destination=destination,
        serve_artifacts=serve_artifacts or artifacts_only,
        artifacts_only=artifacts_only,
        host=host,
        port=port,
        workers=workers or DEFAULT_WORKERS,
        allowed_hosts=allowed_hosts,
        cors_allowed_origins=cors_allowed_origins,
        max_request_bytes=max_request_bytes or DEFAULT_MAX_REQUEST_BYTES,
        promotion_policy=os.path.abspath(promotion_policy) if promotion_policy else None,
    )


def prepare_backend(settings: ServerSettings) -> None:
    """Check the backend URI and create or migrate the database once, before any worker starts."""
    if settings.serve_artifacts and uris.scheme_of(settings.artifacts_destination) not in ("", "file", "s3"):
        raise InvalidParameterValue(
            f"Unsupported --artifacts-destination {settings.artifacts_destination!r}: expected a local path, "
            "a file:// URI or s3://bucket/prefix"
        )
    if settings.artifacts_only:
        return
    if settings.promotion_policy:
        # Read once here so that a broken policy stops the start with one clear error, not every worker.
        load_promotion_policy(settings.promotion_policy)
    if not uris.is_sql_uri(settings.backend_store_uri):
        # Refused here, once, rather than by every worker as it starts (and restarts).
        if not uris.is_http_uri(settings.backend_store_uri):
            raise InvalidParameterValue(
                f"Unsupported --backend-store-uri {settings.backend_store_uri!r}: expected sqlite:///<path>, "
                "postgresql://... or mysql://..."
            )
        return
    from runyard.stores.sql import migrate
    from runyard.stores.sql.engine import Database

    database = Database(settings.backend_store_uri)
    try:
        migrate.upgrade(database, settings.effective_artifact_root)
    finally:
        database.dispose()


def run(settings: ServerSettings) -> int:
    """Serve until interrupted; the exit status."""
    from runyard.server import entry, supervisor
    from runyard.stores.factory import preload_tracking_store

    preload_tracking_store(settings.backend_store_uri)  # imported once, shared by the forked workers
    config.set_env("SERVER_SETTINGS", settings.to_json())
    return supervisor.serve(entry.app_from_environment, settings.host, settings.port, settings.workers)
