"""The artifact proxy (``/api/2.0/mlflow-artifacts/artifacts``): uploads and downloads of any size,
streamed in chunks between the socket and the artifact store, never held whole in memory."""

from __future__ import annotations

import asyncio
import posixpath
from urllib.parse import quote, unquote

from runyard.errors import InvalidParameterValue, NotImplementedFeature
from runyard.server import http
from runyard.server.context import Context
from runyard.stores.artifact_store import ArtifactStore
from runyard.wire import codec
from runyard.wire.endpoints import ARTIFACTS_PREFIX

CHUNK = 1024 * 1024
# Downloads are served as inert types only: text-like files as text/plain, a few raster image
# formats as themselves, everything else (HTML, SVG, scripts, ...) as opaque bytes.
_INERT_TEXT = {".txt", ".log", ".json", ".yaml", ".yml", ".csv", ".md", ".py", ".tsv", ".ini", ".toml", ".cfg",
               ".rst", ".jsonl", ".ndjson", ".sql", ".r", ".ipynb"}
_INERT_TEXT_NAMES = {"MLmodel", "requirements.txt", "conda.yaml", "python_env.yaml", "LICENSE", "README"}
_IMAGES = {".png": b"image/png", ".jpg": b"image/jpeg", ".jpeg": b"image/jpeg", ".gif": b"image/gif",
           ".webp": b"image/webp"}


async def _in_thread(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def _path_from(request: http.Request) -> str:
    """The artifact path after the prefix, as the client sent it below the destination.

    ``scope["path"]`` is already percent-decoded by the server, which turns invalid UTF-8 (the
    overlong ``%c0%ae`` of old traversal filters) into U+FFFD; the raw path is checked so that
    such a request is refused instead of naming a file of replacement characters.
    """
    raw_path = request.scope.get("raw_path")
    if raw_path:
        try:
            unquote(raw_path.decode("latin-1"), errors="strict")
        except UnicodeDecodeError:
            raise InvalidParameterValue("Invalid path: percent-encoding does not decode to valid UTF-8") from None
    raw = request.path[len(ARTIFACTS_PREFIX):]
    # Only the separator after the prefix goes: '//etc/passwd' stays absolute, and is refused.
    return raw[1:] if raw.startswith("/") else raw


async def handle(ctx: Context, request: http.Request, send: http.Send) -> None:
    method = request.method
    path = _path_from(request)
    if method == "GET" and not path:
        await _list(ctx, request, send)
    elif method == "GET":
        await _download(ctx, path, request, send)
    elif method == "PUT":
        await _upload(ctx, path, request, send)
    elif method == "DELETE":
        rel = ctx.artifacts.proxy_path(path)
        if not rel:
            raise InvalidParameterValue("Invalid path: refusing to delete the artifact root")
        await _in_thread(ctx.artifacts.destination_store().delete_artifacts, rel)
        await http.send_json(send, {}, extra=request.extra_headers)
    else:
        raise InvalidParameterValue(f"Method {method} is not supported on artifacts")


async def multipart_unsupported(ctx: Context, request: http.Request, send: http.Send) -> None:
    raise NotImplementedFeature("Multipart uploads through the proxy are not supported by this server; "
                                "upload the file in one PUT (it is streamed)")


async def _list(ctx: Context, request: http.Request, send: http.Send) -> None:
    pairs = dict(request.query_pairs())
    rel = ctx.artifacts.proxy_path(pairs.get("path", ""))
    store = ctx.artifacts.destination_store()
    files = _files_below(await _in_thread(store.list_artifacts, rel or None), rel)
    await http.send_json(send, {"files": files} if files else {}, extra=request.extra_headers)


def _files_below(infos, base: str) -> list[dict]:
    """Wire file infos with paths relative to ``base`` (the listed directory or an artifact root)."""
    return [codec.encode_file_info(info.__class__(posixpath.relpath(info.path, base) if base else info.path,
                                                  info.is_dir, info.file_size))
            for info in infos]


def inert_content_type(name: str) -> bytes:
    """The Content-Type a downloaded file named ``name`` is served with (never HTML or SVG)."""
    ext = posixpath.splitext(name)[1].lower()
    if ext in _INERT_TEXT or name in _INERT_TEXT_NAMES:
        return b"text/plain; charset=utf-8"
    return _IMAGES.get(ext, b"application/octet-stream")


async def _download(ctx: Context, path: str, request: http.Request, send: http.Send) -> None:
    await stream_file(ctx.artifacts.destination_store(), ctx.artifacts.proxy_path(path), request, send)


async def stream_artifact(ctx: Context, artifact_uri: str, path: str, request: http.Request,
                          send: http.Send) -> None:
    """Send the file ``path`` below ``artifact_uri`` (a run's or a model's artifact root), which
    must lie in an artifact root this server manages."""
    store, base = ctx.artifacts.store_for(artifact_uri)
    rel = ctx.artifacts.proxy_path(path)
    if not rel:
        raise InvalidParameterValue("Invalid path: a file name is required")
    await stream_file(store, "/".join(p for p in (base, rel) if p), request, send)


async def stream_file(store: ArtifactStore, rel: str, request: http.Request, send: http.Send) -> None:
    """Send one file of ``store`` (``rel`` already validated) as an inert attachment, in chunks."""
    reader = await _in_thread(store.open_reader, rel)
    try:
        name = posixpath.basename(rel)
        headers = [(b"content-type", inert_content_type(name)), (b"content-length", str(reader.size).encode()),
                   (b"content-disposition", f"attachment; filename*=UTF-8''{quote(name)}".encode())]
        headers.extend(http.BASE_HEADERS)
        headers.extend(request.extra_headers)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        while True:
            chunk = await _in_thread(reader.read, CHUNK)
            if not chunk:
                break
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    finally:
        await _in_thread(reader.close)


async def _upload(ctx: Context, path: str, request: http.Request, send: http.Send) -> None:
    rel = ctx.artifacts.proxy_path(path)
    if not rel or path.endswith("/"):
        raise InvalidParameterValue("Invalid path: an artifact upload must name a file")
    store = ctx.artifacts.destination_store()
    writer = await _in_thread(store.open_writer, rel)
    try:
        pending: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            pending.append(chunk)
            size += len(chunk)
            if size >= CHUNK:
                await _in_thread(writer.write, b"".join(pending))
                pending, size = [], 0
        if pending:
            await _in_thread(writer.write, b"".join(pending))
        await _in_thread(writer.commit)
    except BaseException:
        await _in_thread(writer.abort)
        raise
    await http.send_json(send, {}, extra=request.extra_headers)


def list_run_artifacts(ctx: Context, artifact_uri: str, path: str | None) -> dict:
    """Body of ``/mlflow/artifacts/list`` and the logged-model directory listing: paths relative
    to ``artifact_uri``."""
    store, base = ctx.artifacts.store_for(artifact_uri)
    rel = ctx.artifacts.proxy_path(path or "")
    full = "/".join(p for p in (base, rel) if p)
    files = _files_below(store.list_artifacts(full or None), base)
    body: dict = {"root_uri": artifact_uri}
    if files:
        body["files"] = files
    return body

