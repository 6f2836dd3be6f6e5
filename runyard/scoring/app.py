"""The scoring ASGI app: a loaded pyfunc model behind MLflow's ``/invocations`` protocol.

Built by ``create_scoring_app(model_or_uri, settings)``; there is no module-level app, so a
pre-forking supervisor can load the model once and hand every worker the same loaded object.
"""

from __future__ import annotations

import asyncio
import traceback
from dataclasses import dataclass
from typing import Any

from runyard.errors import RunyardException
from runyard.scoring import payload
from runyard.server.http import BodyTooLarge, Request, dump_json, error_body, send_bytes, send_json, send_text
from runyard.version import __version__


@dataclass(frozen=True)
class ScoringSettings:
    """``timeout``: seconds one prediction may take before the request is answered 504;
    ``max_body_bytes``: the largest request body accepted (413 beyond)."""

    timeout: float = 60.0
    max_body_bytes: int = 64 * 1024 * 1024


class ScoringApp:
    """The ASGI callable for one loaded model."""

    def __init__(self, model: Any, settings: ScoringSettings) -> None:
        self.model = model
        self.settings = settings

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path = request.path.rstrip("/") or "/"
        if path in ("/ping", "/health"):
            if request.method not in ("GET", "HEAD"):
                await send_text(send, "Method Not Allowed", 405, [(b"allow", b"GET")])
            elif self.model is None:
                await send_bytes(send, 404, b"\n")
            else:
                await send_bytes(send, 200, b"\n")
        elif path == "/version":
            if request.method not in ("GET", "HEAD"):
                await send_text(send, "Method Not Allowed", 405, [(b"allow", b"GET")])
            else:
                await send_text(send, __version__)
        elif path == "/invocations":
            if request.method != "POST":
                await send_text(send, "Method Not Allowed", 405, [(b"allow", b"POST")])
            else:
                await self._invocations(request, send)
        else:
            await send_text(send, "Not Found", 404)

    async def _invocations(self, request: Request, send: Any) -> None:
        try:
            media = payload.media_type(request.header(b"content-type"))
        except payload.UnsupportedMediaType as exc:
            await send_text(send, f"This predictor only supports the following content types: "
                                  f"Types {list(payload.MEDIA_TYPES)}. Got '{exc}'.", 415)
            return
        try:
            body = await request.body(self.settings.max_body_bytes)
        except BodyTooLarge as exc:
            status, error = error_body(exc)
            await send_bytes(send, status, error)
            return
        except RunyardException as exc:
            if exc.error_code == "CANCELLED":
                return  # the client went away
            await _send_exception(send, exc)
            return
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(None, self._answer, media, body)
            answer = await asyncio.wait_for(future, self.settings.timeout)
        except asyncio.TimeoutError:
            exc = RunyardException(f"The prediction did not finish within {self.settings.timeout:g} seconds",
                                   error_code="DEADLINE_EXCEEDED")
            await send_json(send, exc.to_dict(), 504)
            return
        except RunyardException as exc:
            await _send_exception(send, exc)
            return
        except Exception as exc:  # noqa: BLE001 - a model's own failure is the caller's input problem
            error = RunyardException(f"Encountered an unexpected error while evaluating the model: {exc!r}",
                                     error_code="BAD_REQUEST", stack_trace=traceback.format_exc())
            await send_json(send, error.to_dict(), 400)
            return
        await send_bytes(send, 200, answer)

    def _answer(self, media: str, body: bytes) -> bytes:
        """Parse, predict and encode in one trip to a worker thread: each trip costs two thread
        wake-ups, about as much as a small model's whole prediction. The timeout covers all three."""
        data, params = payload.parse_body(media, body)
        return dump_json(payload.predict(self.model, data, params))


async def _send_exception(send: Any, exc: RunyardException) -> None:
    body = exc.to_dict()
    status = exc.get_http_status_code()
    if status >= 500 and exc.error_code not in ("DEADLINE_EXCEEDED",):
        status = 500
    if exc.error_code in ("INVALID_PARAMETER_VALUE", "BAD_REQUEST"):
        status = 400
    await send_json(send, body, status)


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_scoring_app(model: Any, settings: ScoringSettings | None = None) -> ScoringApp:
    """An ASGI app serving ``model``: a loaded PyFuncModel, or any model URI that
    ``runyard.pyfunc.load_model`` accepts (``models:/name@alias``, ``runs:/...``, a path)."""
    if isinstance(model, str):
        from runyard.pyfunc import load_model

        model = load_model(model)
    return ScoringApp(model, settings or ScoringSettings())
