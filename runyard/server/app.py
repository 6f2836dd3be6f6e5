"""The tracking server's ASGI application, built by ``create_app`` (no module-level app or store)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from runyard.diagnostics import get_logger
from runyard.errors import BadRequest, InvalidParameterValue, RunyardException
from runyard.server import artifact_proxy, http, meta, ui_assets, ui_handlers
from runyard.server.artifact_roots import ArtifactRoots
from runyard.server.context import Context
from runyard.server import model_handlers  # noqa: F401 - registers the logged-model routes
from runyard.server import registry_handlers  # noqa: F401 - registers the model registry routes
from runyard.server.security import Guard
from runyard.server.settings import ServerSettings
from runyard.server.tracking_handlers import HANDLERS
from runyard.stores.factory import load_promotion_policy, registry_store_for, tracking_store_for
from runyard.stores.registry import RegistryStore, acting_user
from runyard.stores.tracking import TrackingStore
from runyard.wire import messages
from runyard.wire.endpoints import ARTIFACTS_PREFIX, ENDPOINTS, Endpoint

_log = get_logger(__name__)

# Handlers that may take long (searches, histories, listings) run on worker threads so the event
# loop keeps answering; short writes and reads run inline, which is faster than a thread hop.
_THREADED = frozenset({
    "SearchRuns", "SearchExperiments", "GetMetricHistory", "GetMetricHistoryBulkInterval",
    "ListArtifacts", "SearchLoggedModels", "ListLoggedModelArtifacts", "LogBatch", "LogInputs",
    # Registry writes lock rows (and may wait for another replica's transaction): off the loop.
    *registry_handlers.REGISTRY_MESSAGES,
})
_JSON_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_HEALTH_PATHS = frozenset({"/health", "/version"})


@dataclass(frozen=True)
class Route:
    endpoint: Endpoint
    handler: Callable[[Context, dict[str, Any]], dict[str, Any]]
    threaded: bool


RawHandler = Callable[[Context, http.Request, http.Send], Awaitable[None]]


def _routes() -> tuple[dict[tuple[str, str], Route], list[tuple[str, re.Pattern[str], Route]]]:
    static: dict[tuple[str, str], Route] = {}
    patterned: list[tuple[str, re.Pattern[str], Route]] = []
    for endpoint in ENDPOINTS:
        route = Route(endpoint, HANDLERS[endpoint.message], endpoint.message in _THREADED)
        for prefix in ("/api", "/ajax-api"):
            path = f"{prefix}/{endpoint.major}.0{endpoint.path}"
            if "{" in path:
                regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
                patterned.append((endpoint.method, re.compile(regex + "$"), route))
            else:
                static[(endpoint.method, path)] = route
    return static, patterned


class RunyardApp:
    """An ASGI application serving MLflow's REST API from runyard's stores."""

    def __init__(self, settings: ServerSettings, tracking: TrackingStore, registry: RegistryStore) -> None:
        self.settings = settings
        self.context = Context(settings, tracking, ArtifactRoots(settings), registry)
        self.guard = Guard(settings.allowed_hosts, settings.cors_allowed_origins, settings.host)
        self._static, self._patterned = _routes()
        self._raw: dict[tuple[str, str], RawHandler] = {
            ("GET", "/health"): meta.health,
            ("GET", "/version"): meta.version,
            ("GET", "/api/3.0/mlflow/server-info"): meta.server_info,
            ("GET", "/ajax-api/3.0/mlflow/server-info"): meta.server_info,
            ("GET", "/openapi.json"): meta.openapi,
            ("GET", "/"): ui_assets.index,
            **ui_handlers.ui_routes(),
        }

    async def __call__(self, scope: dict, receive: http.Receive, send: http.Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(http.Request(scope, receive), send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: http.Receive, send: http.Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for store in (self.context.tracking, self.context.registry):
                    close = getattr(store, "close", None)
                    if close is not None:
                        close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, request: http.Request, send: http.Send) -> None:
        try:
            if not self._admit(request):
                await http.send_text(send, "Forbidden: invalid Host header", 403)
                return
            if not self._check_origin(request):
                await http.send_text(send, "Forbidden: cross-origin request refused", 403)
                return
            if request.method == "OPTIONS":
                await self._preflight(request, send)
                return
            await self._dispatch(request, send)
        except RunyardException as exc:
            if exc.error_code == "INTERNAL_ERROR":
                # Store failures carry database detail (SQL, table names): logged, not sent.
                _log.error("Internal error on %s %s: %s", request.method, request.path, exc)
                exc = RunyardException("Internal server error; the server log has the details")
            await http.send_error(send, exc, request.extra_headers)
        except Exception:  # noqa: BLE001 - the one place that turns surprises into a 500
            _log.exception("Unhandled error on %s %s", request.method, request.path)
            await http.send_error(send, RunyardException("Internal server error"), request.extra_headers)

    def _admit(self, request: http.Request) -> bool:
        return request.path in _HEALTH_PATHS or self.guard.host_allowed(request.header(b"host"))

    def _check_origin(self, request: http.Request) -> bool:
        origin = request.header(b"origin")
        if origin is None:
            return True
        if self.guard.origin_allowed(origin, request.header(b"host")):
            request.extra_headers.extend([
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"vary", b"Origin"),
            ])
            return True
        # A foreign page may read nothing (no CORS headers) and change nothing.
        return request.method not in _UNSAFE_METHODS and request.method != "OPTIONS"

    async def _preflight(self, request: http.Request, send: http.Send) -> None:
        request.extra_headers.extend([
            (b"access-control-allow-methods", b"GET, POST, PUT, PATCH, DELETE, OPTIONS"),
            (b"access-control-allow-headers", b"Content-Type, Authorization"),
            (b"access-control-max-age", b"600"),
        ])
        await http.send_bytes(send, 204, b"", b"text/plain", request.extra_headers)

    async def _dispatch(self, request: http.Request, send: http.Send) -> None:
        method, path = request.method, request.path
        route = self._static.get((method, path))
        if route is None:
            route = self._match(request)
        if route is not None:
            if self.settings.artifacts_only:
                await http.send_text(send, "This server runs with --artifacts-only: tracking routes are off", 503)
                return
            await self._call(route, request, send)
            return
        raw = self._raw.get((method, path))
        if raw is not None:
            await raw(self.context, request, send)
            return
        if method == "GET" and path.startswith(ui_assets.STATIC_PREFIX):
            await ui_assets.asset(self.context, request, send)
            return
        if path.startswith(ARTIFACTS_PREFIX) or path.startswith("/api/2.0/mlflow-artifacts/"):
            if not self.settings.serve_artifacts:
                await http.send_text(send, "This server runs with --no-serve-artifacts", 503)
                return
            if path.startswith(ARTIFACTS_PREFIX + "/") or path == ARTIFACTS_PREFIX:
                await artifact_proxy.handle(self.context, request, send)
            else:
                await artifact_proxy.multipart_unsupported(self.context, request, send)
            return
        allowed = self._methods_for(path)
        if allowed:
            request.extra_headers.append((b"allow", ", ".join(sorted(allowed)).encode()))
            await http.send_bytes(send, 405, b"Method Not Allowed", b"text/plain; charset=utf-8",
                                  request.extra_headers)
            return
        await http.send_bytes(send, 404, b"Not Found", b"text/plain; charset=utf-8", request.extra_headers)

    def _methods_for(self, path: str) -> set[str]:
        """Methods some route serves at ``path`` (for a 405 instead of a 404)."""
        methods = {method for (method, known) in self._static if known == path}
        methods.update(method for (method, known) in self._raw if known == path)
        methods.update(method for method, regex, _ in self._patterned if regex.match(path))
        return methods

    def _match(self, request: http.Request) -> Route | None:
        for method, regex, route in self._patterned:
            if method != request.method:
                continue
            found = regex.match(request.path)
            if found:
                request.path_params = found.groupdict()
                return route
        return None

    async def _call(self, route: Route, request: http.Request, send: http.Send) -> None:
        data = await self._request_data(route, request)
        msg = messages.decode(route.endpoint.message, data)
        if route.threaded:
            # Every registry route runs here, so the audit trail always learns who acts; the inline
            # tracking writes skip the header parse.
            user = basic_auth_user(request.header(b"authorization"))
            body = await asyncio.get_running_loop().run_in_executor(None, _as_user, user, route.handler,
                                                                    self.context, msg)
        else:
            body = route.handler(self.context, msg)
        await http.send_json(send, body, extra=request.extra_headers)

    async def _request_data(self, route: Route, request: http.Request) -> dict[str, Any]:
        method = request.method
        data: dict[str, Any]
        if method == "GET" and request.query_string:
            data = messages.query_data(route.endpoint.message, request.query_pairs())
        else:
            raw = await request.body(self.settings.max_request_bytes)
            if raw and method in _JSON_WRITE_METHODS or (raw and method == "DELETE"):
                _require_json(request)
            elif method in _JSON_WRITE_METHODS and request.header(b"content-type") is not None:
                _require_json(request)
            data = _parse_json(raw) if raw else {}
        if request.path_params:
            data = {**data, **request.path_params}
        return data


def basic_auth_user(authorization: str | None) -> str | None:
    """The user name of a ``Basic`` Authorization header (None for any other or a malformed one).

    Nothing checks the password yet: until runyard has authentication this name is what the client
    claims, recorded in the registry's audit trail as such."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, separator, _ = decoded.partition(":")
    return user if separator and user else None


def _as_user(user: str | None, handler: Callable[[Context, dict[str, Any]], dict[str, Any]], ctx: Context,
             msg: dict[str, Any]) -> dict[str, Any]:
    # Set here, on the thread that runs the handler: executor threads do not inherit context vars.
    token = acting_user.set(user)
    try:
        return handler(ctx, msg)
    finally:
        acting_user.reset(token)


def _require_json(request: http.Request) -> None:
    content_type = (request.header(b"content-type") or "").split(";", 1)[0].strip().lower()
    if content_type != "application/json":
        raise InvalidParameterValue(
            "Bad Request. Content-Type must be 'application/json' for this request"
        )


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _parse_json(raw: bytes) -> dict[str, Any]:
    try:
        # orjson parses several times faster; whatever it refuses (NaN tokens, lone surrogates,
        # deep nesting) goes through the standard parser, which decides and explains.
        data = http.fast_loads(raw)
        if type(data) is dict:
            return data
    except ValueError:
        pass
    try:
        data = json.loads(raw)
        if isinstance(data, str):  # legacy clients double-encode the body
            data = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Malformed JSON in the request body") from None
    except RecursionError:
        raise BadRequest("The JSON in the request body is nested too deeply") from None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object")
    if _SURROGATE_ESCAPE.search(raw):
        # A lone surrogate escape ("\\ud800") decodes to a str that no database or response can
        # encode; paired ones are already combined by the parser, so what remains is refused.
        try:
            json.dumps(data, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise BadRequest("The request body contains an unpaired UTF-16 surrogate escape") from None
    return data


def create_app(settings: ServerSettings, tracking: TrackingStore | None = None,
               registry: RegistryStore | None = None) -> RunyardApp:
    """Build the server for ``settings``; the stores default to those of the backend URI (the
    registry with the promotion policy of ``settings.promotion_policy``, when one is named)."""
    if tracking is None:
        tracking = tracking_store_for(settings.backend_store_uri, settings.effective_artifact_root)
    if registry is None:
        policy = load_promotion_policy(settings.promotion_policy) if settings.promotion_policy else None
        registry = registry_store_for(settings.backend_store_uri, settings.effective_artifact_root,
                                      promotion_policy=policy)
    return RunyardApp(settings, tracking, registry)

