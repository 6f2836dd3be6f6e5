"""HTTP calls to a tracking server: one connection pool per process, credentials, TLS, timeouts,
and retries with backoff only where a repeated request cannot duplicate a write.

Requests that are not idempotent (create a run, log a metric point, ...) are retried only when
the connection failed before the request was sent, or when the server answered 429/503 (it did
not process it). Idempotent ones are retried on any transient failure.
"""

from __future__ import annotations

import base64
import json
import os
import random
import threading
import time
from typing import Any, BinaryIO
from urllib.parse import quote, urlencode, urlsplit

import urllib3
from urllib3.util.retry import Retry

from runyard import config
from runyard.errors import (
    BadRequest,
    EndpointNotFound,
    InvalidParameterValue,
    PermissionDenied,
    RequestLimitExceeded,
    RunyardException,
    TemporarilyUnavailable,
    Unauthenticated,
    from_error_code,
)
from runyard.stores.rest.json_connection import JsonConnection, NoResponse, NotSent, tls_context
from runyard.version import __version__
from runyard.wire.endpoints import BY_MESSAGE, Endpoint

_TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})
_NOT_PROCESSED = frozenset({429, 503})
_STATUS_ERRORS = {400: BadRequest, 401: Unauthenticated, 403: PermissionDenied, 404: EndpointNotFound,
                  429: RequestLimitExceeded, 503: TemporarilyUnavailable}

_pool_lock = threading.Lock()
_pools: dict[tuple, urllib3.PoolManager] = {}


def _forget_pools() -> None:
    # A forked child must not share its parent's sockets.
    _pools.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools)


def _pool() -> urllib3.PoolManager:
    insecure = config.tracking_insecure_tls()
    ca_bundle = config.tracking_server_cert_path()
    client_cert = config.tracking_client_cert_path()
    key = (insecure, ca_bundle, client_cert)
    pool = _pools.get(key)
    if pool is None:
        with _pool_lock:
            pool = _pools.get(key)
            if pool is None:
                kwargs: dict[str, Any] = {"maxsize": 32, "block": False}
                if insecure:
                    kwargs["cert_reqs"] = "CERT_NONE"
                elif ca_bundle:
                    kwargs["ca_certs"] = ca_bundle
                if client_cert:
                    kwargs["cert_file"] = client_cert
                pool = _pools[key] = urllib3.PoolManager(**kwargs)
    if insecure:
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    return pool


def _headers(json_body: bool) -> dict[str, str]:
    headers = {"User-Agent": f"runyard-python-client/{__version__}"}
    if json_body:
        headers["Content-Type"] = "application/json"
    token = config.tracking_token()
    user, password = config.tracking_username(), config.tracking_password()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    elif user is not None and password is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    return headers


def _retry(idempotent: bool) -> Retry:
    retries = max(config.http_request_max_retries(), 0)
    return Retry(
        total=retries,
        connect=retries,
        read=retries if idempotent else 0,
        status=retries,
        other=0,
        allowed_methods=None,
        status_forcelist=_TRANSIENT if idempotent else _NOT_PROCESSED,
        backoff_factor=config.http_request_backoff_factor(),
        backoff_jitter=config.http_request_backoff_jitter(),
        backoff_max=30,
        raise_on_status=False,
        respect_retry_after_header=True,
    )


def _timeout() -> urllib3.Timeout:
    seconds = config.http_request_timeout()
    return urllib3.Timeout(connect=min(seconds, 10.0), read=seconds)


def error_from_response(status: int, data: bytes, url: str) -> RunyardException:
    """The runyard exception a failed response stands for (MLflow's envelope when present)."""
    try:
        body = json.loads(data)
    except ValueError:
        body = None
    if isinstance(body, dict) and "error_code" in body:
        return from_error_code(str(body["error_code"]), str(body.get("message", "")))
    text = data[:300].decode("utf-8", "replace").strip()
    cls = _STATUS_ERRORS.get(status)
    message = f"API request to {url} failed with HTTP {status}" + (f": {text}" if text else "")
    return cls(message) if cls is not None else RunyardException(message)


class HttpClient:
    """Requests to one server (``base_url`` = the tracking URI).

    Credentials, TLS, retry and timeout settings are read when the client is made; the per-host
    connection pool is looked up once (and again in a forked child)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidParameterValue(f"Not an http(s) URL: {base_url!r}")
        self._path_prefix = parts.path
        self._headers = {True: _headers(True), False: _headers(False)}
        self._retries = {True: _retry(True), False: _retry(False)}
        self._timeout = _timeout()
        self._pool_pid = -1
        self._pool: urllib3.HTTPConnectionPool | None = None
        # The JSON calls: one lean keep-alive connection per thread.
        self._json_headers = "".join(f"{k}: {v}\r\n" for k, v in _headers(True).items()).encode("latin-1")
        self._max_retries = max(config.http_request_max_retries(), 0)
        self._backoff = (config.http_request_backoff_factor(), config.http_request_backoff_jitter())
        self._tls = (tls_context(config.tracking_insecure_tls(), config.tracking_server_cert_path(),
                                 config.tracking_client_cert_path()) if parts.scheme == "https" else None)
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._local = threading.local()

    def url(self, path: str) -> str:
        return self.base_url + path

    def close(self) -> None:
        """Close this thread's JSON connection (others close when their threads end)."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()

    def _connection_pool(self) -> urllib3.HTTPConnectionPool:
        if self._pool is None or self._pool_pid != os.getpid():
            self._pool = _pool().connection_from_url(self.base_url)
            self._pool_pid = os.getpid()
        return self._pool

    def request(self, method: str, path: str, *, body: bytes | BinaryIO | None = None, fields: str = "",
                idempotent: bool, json_body: bool = True, stream: bool = False) -> urllib3.BaseHTTPResponse:
        target = self._path_prefix + path + (f"?{fields}" if fields else "")
        try:
            response = self._connection_pool().urlopen(
                method, target, body=body, headers=self._headers[json_body and body is not None],
                retries=self._retries[idempotent], timeout=self._timeout, redirect=False,
                preload_content=not stream, assert_same_host=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            reason = getattr(exc, "reason", None) or exc
            raise TemporarilyUnavailable(f"API request to {self.url(path)} failed: {reason}") from None
        if response.status >= 400:
            data = response.read() if stream else response.data
            response.release_conn()
            raise error_from_response(response.status, data, self.url(path))
        return response

    def call(self, message: str, payload: dict[str, Any] | None = None, **path_params: str) -> dict[str, Any]:
        """Call the endpoint of ``message`` with ``payload``; the decoded JSON answer."""
        endpoint: Endpoint = BY_MESSAGE[message]
        path = endpoint.api_path
        for name, value in path_params.items():
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        payload = payload or {}
        if endpoint.method == "GET":
            fields = _query(payload)
            target, body = self._path_prefix + path + (f"?{fields}" if fields else ""), None
        else:
            target, body = self._path_prefix + path, json.dumps(payload).encode()
        status, data = self._exchange(endpoint.method, target, body, endpoint.idempotent or endpoint.method == "GET")
        if status >= 400:
            raise error_from_response(status, data, self.url(path))
        return json.loads(data) if data else {}

    def _connection(self) -> JsonConnection:
        local = self._local
        connection = getattr(local, "connection", None)
        if connection is None or local.pid != os.getpid():
            connection = local.connection = JsonConnection(
                self._host, self._port, self._tls, self._timeout.connect_timeout, self._timeout.read_timeout)
            local.pid = os.getpid()
        return connection

    def _exchange(self, method: str, target: str, body: bytes | None, idempotent: bool) -> tuple[int, bytes]:
        retryable_status = _TRANSIENT if idempotent else _NOT_PROCESSED
        attempt = 0
        while True:
            delay = None
            try:
                status, headers, data = self._connection().exchange(method, target, self._json_headers, body)
                if status not in retryable_status or attempt >= self._max_retries:
                    return status, data
                delay = _retry_after(headers.get("retry-after"))
                failure = f"HTTP {status}"
            except NotSent as exc:
                failure = str(exc)
            except NoResponse as exc:
                if not idempotent:
                    raise TemporarilyUnavailable(
                        f"API request to {self.url(target)} got no response ({exc}); not retried, as "
                        "repeating it could duplicate a write"
                    ) from None
                failure = str(exc)
            if attempt >= self._max_retries:
                raise TemporarilyUnavailable(
                    f"API request to {self.url(target)} failed after {attempt + 1} attempts: {failure}"
                )
            attempt += 1
            factor, jitter = self._backoff
            if delay is None:
                delay = min(factor * (2 ** (attempt - 1)), 30.0) + random.uniform(0, jitter)
            time.sleep(delay)


def _retry_after(value: str | None) -> float | None:
    if value and value.strip().isdigit():
        return min(float(value), 60.0)
    return None


def _query(payload: dict[str, Any]) -> str:
    pairs = []
    for key, value in payload.items():
        if value is None:
            continue
        for item in value if isinstance(value, (list, tuple)) else (value,):
            pairs.append((key, "true" if item is True else "false" if item is False else str(item)))
    return urlencode(pairs)
