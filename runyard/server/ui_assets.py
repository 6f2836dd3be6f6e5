"""The web UI's files: ``GET /`` answers the single page, ``GET /static/<path>`` its assets.

Every asset ships inside the package (``runyard/ui/static``); nothing is fetched from a CDN. The
page talks to the same REST routes the server already guards. Responses carry a strict Content
Security Policy (scripts and styles only from this server, no inline script, no plugins, no framing)
and ``nosniff``, so an artifact preview can never turn into script.
"""

from __future__ import annotations

import mimetypes
import os
from functools import lru_cache
from pathlib import Path

from runyard.server import http
from runyard.server.context import Context

STATIC_PREFIX = "/static/"
_ROOT = (Path(__file__).resolve().parent.parent / "ui" / "static").resolve()
_TYPES = {
    ".html": b"text/html; charset=utf-8",
    ".js": b"text/javascript; charset=utf-8",
    ".css": b"text/css; charset=utf-8",
    ".svg": b"image/svg+xml",
    ".png": b"image/png",
    ".ico": b"image/x-icon",
    ".json": b"application/json",
    ".txt": b"text/plain; charset=utf-8",
}
# 'unsafe-inline' for styles only: charts and the virtual table position elements with style
# attributes. Scripts come from this origin alone; images may be data:/blob: (artifact previews).
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'")
# ``nosniff`` and ``x-frame-options`` come with every response (runyard.server.http).
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", _CSP.encode()),
    (b"referrer-policy", b"same-origin"),
)


def static_root() -> Path:
    """The directory the UI's files are served from."""
    return _ROOT


@lru_cache(maxsize=256)
def _load(relative: str) -> tuple[bytes, bytes] | None:
    """(content type, bytes) of a file under the static root, or None if it is not one."""
    if not relative or "\\" in relative or "\x00" in relative:
        return None
    parts = relative.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    path = (_ROOT / relative).resolve()
    if os.path.commonpath([str(path), str(_ROOT)]) != str(_ROOT) or not path.is_file():
        return None
    suffix = path.suffix.lower()
    content_type = _TYPES.get(suffix)
    if content_type is None:
        guessed = mimetypes.guess_type(path.name)[0]
        content_type = (guessed or "application/octet-stream").encode()
    return content_type, path.read_bytes()


async def index(ctx: Context, request: http.Request, send: http.Send) -> None:
    """The single page; the client-side router reads the location hash."""
    found = _load("index.html")
    assert found is not None, "runyard/ui/static/index.html is missing from the package"
    headers = [*request.extra_headers, *SECURITY_HEADERS, (b"cache-control", b"no-cache")]
    await http.send_bytes(send, 200, found[1], found[0], headers)


async def asset(ctx: Context, request: http.Request, send: http.Send) -> None:
    """A file under ``/static/``; anything that is not a plain file inside the root is a 404."""
    found = _load(request.path[len(STATIC_PREFIX):])
    headers = [*request.extra_headers, *SECURITY_HEADERS]
    if found is None:
        await http.send_bytes(send, 404, b"Not Found", b"text/plain; charset=utf-8", headers)
        return
    headers.append((b"cache-control", b"no-cache"))
    await http.send_bytes(send, 200, found[1], found[0], headers)
