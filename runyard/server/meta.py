"""Health, version, capability and OpenAPI routes."""

from __future__ import annotations

from runyard.server import http
from runyard.server.context import Context
from runyard.server.openapi import openapi_document
from runyard.version import __version__


async def health(ctx: Context, request: http.Request, send: http.Send) -> None:
    await http.send_text(send, "OK", extra=request.extra_headers)


async def version(ctx: Context, request: http.Request, send: http.Send) -> None:
    await http.send_text(send, __version__, extra=request.extra_headers)


async def server_info(ctx: Context, request: http.Request, send: http.Send) -> None:
    settings = ctx.settings
    backend = settings.backend_store_uri.split(":", 1)[0].split("+", 1)[0]
    body = {
        "store_type": "SqlStore" if backend in ("sqlite", "postgresql", "postgres", "mysql", "mariadb") else backend,
        "workspaces_enabled": False,
        "multipart_uploads_enabled": False,
        "multipart_downloads_enabled": False,
        "artifact_serving_enabled": settings.serve_artifacts,
        "artifacts_presigned_only": False,
        "tracking_auth": False,
        "features_enabled": {},
        "server": "runyard",
        "version": __version__,
    }
    await http.send_json(send, body, extra=request.extra_headers)


_OPENAPI: bytes | None = None


async def openapi(ctx: Context, request: http.Request, send: http.Send) -> None:
    global _OPENAPI
    if _OPENAPI is None:
        _OPENAPI = http.dump_json(openapi_document())
    await http.send_bytes(send, 200, _OPENAPI, http.JSON_TYPE, request.extra_headers)
