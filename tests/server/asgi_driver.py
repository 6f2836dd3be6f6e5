"""A tiny ASGI test driver: builds HTTP scopes the way uvicorn does and collects the response.

No web framework and no HTTP client: a request is one ``scope`` plus ``http.request`` messages,
the response is whatever the app sends. The path is given raw (percent-encoded, as on the wire);
``scope["path"]`` is its percent-decoded form, as uvicorn passes it.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping
from urllib.parse import unquote, urlencode


@dataclass
class Response:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    chunks: int = 0

    def header(self, name: str) -> str | None:
        wanted = name.lower().encode("latin-1")
        for key, value in self.headers:
            if key.lower() == wanted:
                return value.decode("latin-1")
        return None

    def header_names(self) -> set[str]:
        return {key.decode("latin-1").lower() for key, _ in self.headers}

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Exchange:
    body_parts: list[bytes]
    disconnect_after: bool
    sent: list[dict] = field(default_factory=list)


class AsgiDriver:
    """Drives one ASGI app on a private event loop; close() (or ``with``) releases the loop."""

    def __init__(self, app: Any, host: str = "localhost:5000") -> None:
        self.app = app
        self.host = host
        self.loop = asyncio.new_event_loop()

    def close(self) -> None:
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()

    def __enter__(self) -> "AsgiDriver":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests -------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, query: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
                json_body: Any = None, body: bytes | Iterable[bytes] | None = None,
                headers: Mapping[str, str] | None = None, host: str | None = "default",
                content_type: str | None = None, disconnect_after: bool = False) -> Response:
        """One request. ``json_body`` sets ``Content-Type: application/json`` unless
        ``content_type`` says otherwise; ``body`` may be a list of chunks (sent as several
        ``http.request`` messages); ``disconnect_after`` sends ``http.disconnect`` instead of the
        end of the body (a client that went away mid-upload)."""
        raw_path, _, raw_query = path.partition("?")
        if query is not None:
            items = query.items() if isinstance(query, Mapping) else query
            extra = urlencode([(k, v) for k, v in items], doseq=True)
            raw_query = f"{raw_query}&{extra}" if raw_query else extra
        header_list: list[tuple[bytes, bytes]] = []
        if host is not None:
            header_list.append((b"host", (self.host if host == "default" else host).encode("latin-1")))
        if json_body is not None:
            body = json.dumps(json_body).encode()
            content_type = content_type or "application/json"
        if content_type is not None:
            header_list.append((b"content-type", content_type.encode("latin-1")))
        parts = [body] if isinstance(body, bytes) else list(body or [])
        if headers:
            header_list.extend((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())
        if not any(k == b"content-length" for k, _ in header_list) and not (headers or {}).get("transfer-encoding"):
            header_list.append((b"content-length", str(sum(len(p) for p in parts)).encode()))
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": method, "scheme": "http", "root_path": "",
            "path": unquote(raw_path), "raw_path": raw_path.encode("latin-1"),
            "query_string": raw_query.encode("latin-1"), "headers": header_list,
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 5000),
        }
        exchange = _Exchange(parts, disconnect_after)
        self.loop.run_until_complete(self._run(scope, exchange))
        return _collect(exchange.sent)

    async def _run(self, scope: dict, exchange: _Exchange) -> None:
        pending = list(exchange.body_parts) or [b""]
        done = False

        async def receive() -> dict:
            nonlocal done
            if done or not pending:
                await asyncio.sleep(0)
                return {"type": "http.disconnect"}
            chunk = pending.pop(0)
            if not pending and exchange.disconnect_after:
                done = True
                return {"type": "http.request", "body": chunk, "more_body": True}
            if not pending:
                done = True
            return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

        async def send(message: dict) -> None:
            exchange.sent.append(message)

        try:
            await self.app(scope, receive, send)
        except Exception:
            if not exchange.disconnect_after:
                raise

    def get(self, path: str, **kw: Any) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, json_body: Any = None, **kw: Any) -> Response:
        return self.request("POST", path, json_body=json_body, **kw)

    def put(self, path: str, body: bytes | Iterable[bytes] = b"", **kw: Any) -> Response:
        return self.request("PUT", path, body=body, **kw)

    def delete(self, path: str, **kw: Any) -> Response:
        return self.request("DELETE", path, **kw)

    # -- MLflow calls -----------------------------------------------------------------------------
    def call(self, method: str, route: str, payload: Any = None, *, prefix: str = "/api/2.0/mlflow",
             expect: int = 200) -> Any:
        """A REST call that must answer ``expect``; returns the decoded JSON body."""
        if method == "GET":
            response = self.get(prefix + route, query=payload)
        else:
            response = self.request(method, prefix + route, json_body=payload if payload is not None else {})
        assert response.status == expect, (response.status, response.body[:500])
        return response.json()


def _collect(sent: list[dict]) -> Response:
    start = next((m for m in sent if m["type"] == "http.response.start"), None)
    if start is None:
        return Response(0, [], b"")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    chunks = sum(1 for m in sent if m["type"] == "http.response.body")
    return Response(start["status"], list(start.get("headers", [])), body, chunks)
