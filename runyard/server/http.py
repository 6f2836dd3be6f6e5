"""The few ASGI pieces the server needs: a request view and response senders.

Written directly against the ASGI spec instead of a web framework: every request of the tracking
API is small, and a framework's per-request machinery would cost more than the handler itself.
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, Iterable
from urllib.parse import parse_qsl

from runyard.errors import InvalidParameterValue, RunyardException, http_status_for

Send = Callable[[dict], Awaitable[None]]
Receive = Callable[[], Awaitable[dict]]

JSON_TYPE = b"application/json"
BASE_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
)


class BodyTooLarge(RunyardException):
    error_code = "INVALID_PARAMETER_VALUE"


class Request:
    __slots__ = ("scope", "receive", "method", "path", "headers", "extra_headers", "path_params")

    def __init__(self, scope: dict, receive: Receive) -> None:
        self.scope = scope
        self.receive = receive
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.headers: dict[bytes, bytes] = dict(scope["headers"])  # names arrive lower-cased
        self.extra_headers: list[tuple[bytes, bytes]] = []
        self.path_params: dict[str, str] = {}

    def header(self, name: bytes) -> str | None:
        value = self.headers.get(name)
        return None if value is None else value.decode("latin-1")

    @property
    def query_string(self) -> bytes:
        return self.scope.get("query_string", b"")

    def query_pairs(self) -> list[tuple[str, str]]:
        qs = self.query_string
        if not qs:
            return []
        try:
            # Strict: invalid or overlong UTF-8 (%c0%ae) is refused, not turned into U+FFFD.
            return parse_qsl(qs.decode("utf-8"), keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            raise InvalidParameterValue("The query string is not valid percent-encoded UTF-8") from None

    def content_length(self) -> int | None:
        raw = self.headers.get(b"content-length")
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            raise RunyardException("Invalid Content-Length header", error_code="BAD_REQUEST") from None

    async def body(self, limit: int) -> bytes:
        """The whole body; refused (400) past ``limit`` bytes, before reading it when possible."""
        declared = self.content_length()
        if declared is not None and declared > limit:
            raise BodyTooLarge(f"Request body of {declared} bytes exceeds the limit of {limit} bytes")
        chunks = []
        total = 0
        async for chunk in self.stream():
            total += len(chunk)
            if total > limit:
                raise BodyTooLarge(f"Request body exceeds the limit of {limit} bytes")
            chunks.append(chunk)
        if not chunks:
            return b""
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def stream(self):
        """The body as it arrives, chunk by chunk."""
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise RunyardException("Client disconnected", error_code="CANCELLED")
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return


def _headers(content_type: bytes, length: int | None, extra: Iterable[tuple[bytes, bytes]]) -> list:
    headers = [(b"content-type", content_type)]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    headers.extend(BASE_HEADERS)
    headers.extend(extra)
    return headers


async def send_bytes(send: Send, status: int, body: bytes, content_type: bytes = JSON_TYPE,
                     extra: Iterable[tuple[bytes, bytes]] = ()) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": _headers(content_type, len(body), extra)})
    await send({"type": "http.response.body", "body": body})


try:
    import orjson

    fast_loads = orjson.loads
    _fast_dumps = orjson.dumps
except ImportError:  # pragma: no cover - orjson is a dependency; keep working without it
    fast_loads = json.loads
    _fast_dumps = None


def dump_json(obj: Any) -> bytes:
    if _fast_dumps is not None:
        try:
            return _fast_dumps(obj)
        except TypeError:  # e.g. an integer beyond 64 bits
            pass
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


async def send_json(send: Send, obj: Any, status: int = 200, extra: Iterable[tuple[bytes, bytes]] = ()) -> None:
    await send_bytes(send, status, dump_json(obj), JSON_TYPE, extra)


def error_body(exc: RunyardException) -> tuple[int, bytes]:
    status = 413 if isinstance(exc, BodyTooLarge) else http_status_for(exc.error_code)
    return status, dump_json(exc.to_dict())


async def send_error(send: Send, exc: RunyardException, extra: Iterable[tuple[bytes, bytes]] = ()) -> None:
    status, body = error_body(exc)
    await send_bytes(send, status, body, JSON_TYPE, extra)


async def send_text(send: Send, text: str, status: int = 200, extra: Iterable[tuple[bytes, bytes]] = ()) -> None:
    await send_bytes(send, status, text.encode(), b"text/plain; charset=utf-8", extra)
