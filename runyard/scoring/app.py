"""The scoring ASGI app: a loaded pyfunc model behind MLflow's ``/invocations`` protocol.

Built by ``create_scoring_app(model_or_uri, settings)``; there is no module-level app, so a
pre-forking supervisor can load the model once and hand every worker the same loaded object.
"""

from __future__ import annotations

import asyncio
import io
import traceback
from dataclasses import dataclass
from typing import Any

from runyard.errors import RunyardException
from runyard.server.http import (BodyTooLarge, Request, error_body, fast_loads, send_bytes, send_json,
                                 send_text)
from runyard.version import __version__

_INPUT_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
_CSV = "text/csv"
_PARQUET = "application/vnd.apache.parquet"
_JSON = "application/json"


@dataclass(frozen=True)
class ScoringSettings:
    """``timeout``: seconds one prediction may take before the request is answered 504;
    ``max_body_bytes``: the largest request body accepted (413 beyond)."""

    timeout: float = 60.0
    max_body_bytes: int = 64 * 1024 * 1024


class _BadRequest(RunyardException):
    error_code = "BAD_REQUEST"


class _Unsupported(Exception):
    pass


def _content_type(raw: str | None) -> str:
    """The media type of the request; JSON accepts only a ``charset`` parameter (as MLflow)."""
    if not raw:
        raise _Unsupported("missing Content-Type")
    parts = [p.strip() for p in raw.split(";")]
    media = parts[0].lower()
    params = [p for p in parts[1:] if p]
    if media == _JSON:
        for param in params:
            if param.split("=", 1)[0].strip().lower() != "charset":
                raise _Unsupported(raw)
        return media
    if media in (_CSV, _PARQUET):
        return media
    raise _Unsupported(raw)


def _columnar(value: Any) -> Any:
    import numpy as np

    if isinstance(value, dict):
        return {key: np.array(item) for key, item in value.items()}
    return np.array(value)


def parse_json_input(body: bytes) -> tuple[Any, dict[str, Any] | None]:
    """(model input, params) from an ``/invocations`` JSON body."""
    import pandas as pd

    try:
        payload = fast_loads(body)
    except ValueError as exc:
        raise _BadRequest(f"Invalid input. Ensure the input is valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise _BadRequest("Invalid input. The JSON body must be an object with one of the keys "
                          f"{list(_INPUT_KEYS)}.")
    keys = [key for key in payload if key != "params"]
    if len(keys) != 1 or keys[0] not in _INPUT_KEYS:
        raise _BadRequest(f"Invalid input. The input must contain exactly one of the keys {list(_INPUT_KEYS)} "
                          f"(optionally with 'params'); got {sorted(payload)}.")
    params = payload.get("params")
    if params is not None and not isinstance(params, dict):
        raise _BadRequest("Invalid input. 'params' must be a JSON object.")
    key = keys[0]
    value = payload[key]
    try:
        if key == "dataframe_split":
            if not isinstance(value, dict) or "data" not in value:
                raise _BadRequest("Invalid input. 'dataframe_split' must be an object with 'columns' and 'data'.")
            unknown = set(value) - {"columns", "data", "index"}
            if unknown:
                raise _BadRequest(f"Invalid input. Unexpected keys in 'dataframe_split': {sorted(unknown)}.")
            data = pd.DataFrame(data=value["data"], columns=value.get("columns"), index=value.get("index"))
        elif key == "dataframe_records":
            if not isinstance(value, list):
                raise _BadRequest("Invalid input. 'dataframe_records' must be a list of records.")
            data = pd.DataFrame(data=value)
        elif key == "instances":
            if not isinstance(value, list):
                raise _BadRequest("Invalid input. 'instances' must be a list.")
            if value and all(isinstance(row, dict) for row in value):
                names = list(value[0])
                if any(set(row) != set(names) for row in value):
                    raise _BadRequest("Invalid input. Every instance must have the same keys.")
                data = _columnar({name: [row[name] for row in value] for name in names})
            else:
                data = _columnar(value)
        else:
            data = _columnar(value)
    except _BadRequest:
        raise
    except (ValueError, TypeError) as exc:
        raise _BadRequest(f"Invalid input. Could not read '{key}': {exc}") from None
    return data, params


def _parse_body(media: str, body: bytes) -> tuple[Any, dict[str, Any] | None]:
    import pandas as pd

    if media == _JSON:
        return parse_json_input(body)
    try:
        if media == _CSV:
            return pd.read_csv(io.BytesIO(body)), None
        return pd.read_parquet(io.BytesIO(body)), None
    except Exception as exc:  # noqa: BLE001 - pandas raises many kinds for malformed input
        kind = "CSV" if media == _CSV else "parquet"
        raise _BadRequest(f"Invalid input. Could not parse the {kind} body: {exc}") from None


def to_jsonable(obj: Any) -> Any:
    """Predictions as JSON-ready Python: DataFrames as records, arrays and Series as lists."""
    module = type(obj).__module__
    if module.startswith("pandas"):
        import pandas as pd

        if isinstance(obj, pd.DataFrame):
            return [{str(k): to_jsonable(v) for k, v in row.items()} for row in obj.to_dict(orient="records")]
        if isinstance(obj, (pd.Series, pd.Index)):
            return [to_jsonable(v) for v in obj.tolist()]
    if module == "numpy":
        import numpy as np

        if isinstance(obj, np.ndarray):
            return to_jsonable(obj.tolist()) if obj.dtype == object else _clean(obj.tolist())
        if isinstance(obj, np.generic):
            return _clean(obj.item())
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, bytes):
        import base64

        return base64.b64encode(obj).decode("ascii")
    return _clean(obj)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


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
            media = _content_type(request.header(b"content-type"))
        except _Unsupported as exc:
            await send_text(send, f"This predictor only supports the following content types: "
                                  f"Types {[_CSV, _JSON, _PARQUET]}. Got '{exc}'.", 415)
            return
        try:
            body = await request.body(self.settings.max_body_bytes)
        except BodyTooLarge as exc:
            status, payload = error_body(exc)
            await send_bytes(send, status, payload)
            return
        except RunyardException as exc:
            if exc.error_code == "CANCELLED":
                return  # the client went away
            await _send_exception(send, exc)
            return
        loop = asyncio.get_running_loop()
        try:
            data, params = await loop.run_in_executor(None, _parse_body, media, body)
            future = loop.run_in_executor(None, self._predict, data, params)
            result = await asyncio.wait_for(future, self.settings.timeout)
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
        await send_json(send, result)

    def _predict(self, data: Any, params: dict[str, Any] | None) -> dict[str, Any]:
        raw = self.model.predict(data, params=params) if params is not None else self.model.predict(data)
        return {"predictions": to_jsonable(raw)}


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
