"""The REST client's transport against scripted servers: retries only where they are safe,
credentials, TLS, error mapping."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
from contextlib import contextmanager

import pytest

from runyard.errors import InvalidParameterValue, ResourceDoesNotExist, TemporarilyUnavailable
from runyard.stores.rest.http_client import HttpClient


class ScriptedServer:
    """Answers each request with the next scripted action: (status, body) or "drop" (close the
    connection after reading the request, sending nothing)."""

    def __init__(self, script, tls: ssl.SSLContext | None = None) -> None:
        self.script = list(script)
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.tls = tls
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.script:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            if self.tls is not None:
                try:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    conn.close()
                    continue
            with conn:
                self._handle(conn)

    def _handle(self, conn) -> None:
        reader = conn.makefile("rb")
        while self.script:
            line = reader.readline()
            if not line:
                return
            headers = {}
            while (h := reader.readline()) not in (b"\r\n", b""):
                name, _, value = h.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            body = reader.read(int(headers.get("content-length", 0)))
            self.requests.append((line.decode().strip(), headers, body))
            action = self.script.pop(0)
            if action == "drop":
                return
            status, payload = action
            data = json.dumps(payload).encode()
            conn.sendall(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: "
                         f"{len(data)}\r\n\r\n".encode() + data)

    def close(self) -> None:
        self.listener.close()
        self.thread.join(5)


@contextmanager
def scripted(script, tls=None):
    server = ScriptedServer(script, tls)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setenv("RUNYARD_HTTP_REQUEST_BACKOFF_FACTOR", "0.01")
    monkeypatch.setenv("RUNYARD_HTTP_REQUEST_BACKOFF_JITTER", "0")
    monkeypatch.setenv("RUNYARD_HTTP_REQUEST_MAX_RETRIES", "3")


def test_idempotent_calls_are_retried_on_transient_failures():
    with scripted([(500, {}), "drop", (200, {"run": {"info": {"run_id": "r"}}})]) as server:
        client = HttpClient(f"http://127.0.0.1:{server.port}")
        assert client.call("GetRun", {"run_id": "r"})["run"]["info"]["run_id"] == "r"
        client.close()
    assert len(server.requests) == 3


def test_creations_are_not_retried_when_the_server_may_have_processed_them():
    with scripted(["drop", (200, {"experiment_id": "1"})]) as server:
        client = HttpClient(f"http://127.0.0.1:{server.port}")
        with pytest.raises(TemporarilyUnavailable, match="not retried"):
            client.call("CreateExperiment", {"name": "x"})
        client.close()
    assert len(server.requests) == 1
    with scripted([(500, {"error_code": "INTERNAL_ERROR", "message": "boom"})]) as server:
        client = HttpClient(f"http://127.0.0.1:{server.port}")
        with pytest.raises(Exception, match="boom"):
            client.call("CreateRun", {"experiment_id": "0"})
        client.close()
    assert len(server.requests) == 1


def test_creations_are_retried_when_the_server_refused_them():
    with scripted([(503, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "busy"}), (429, {}),
                   (200, {"experiment_id": "7"})]) as server:
        client = HttpClient(f"http://127.0.0.1:{server.port}")
        assert client.call("CreateExperiment", {"name": "x"}) == {"experiment_id": "7"}
        client.close()
    assert len(server.requests) == 3


def test_connection_refused_is_retried_then_reported():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = HttpClient(f"http://127.0.0.1:{port}")
    with pytest.raises(TemporarilyUnavailable, match="after 4 attempts"):
        client.call("CreateExperiment", {"name": "x"})


def test_errors_arrive_as_runyard_exceptions_and_credentials_are_sent(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "secret-token")
    with scripted([(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Run with id=x not found"}),
                   (400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "bad"})]) as server:
        client = HttpClient(f"http://127.0.0.1:{server.port}")
        with pytest.raises(ResourceDoesNotExist, match="Run with id=x not found"):
            client.call("GetRun", {"run_id": "x"})
        with pytest.raises(InvalidParameterValue, match="bad"):
            client.call("LogParam", {"run_id": "x", "key": "k", "value": "v"})
        client.close()
    (line, headers, _), (post_line, post_headers, body) = server.requests
    assert line.startswith("GET /api/2.0/mlflow/runs/get?run_id=x ")
    assert headers["authorization"] == "Bearer secret-token"
    assert post_headers["content-type"] == "application/json" and json.loads(body)["key"] == "k"


def test_basic_auth(monkeypatch):
    monkeypatch.setenv("RUNYARD_TRACKING_USERNAME", "alice")
    monkeypatch.setenv("RUNYARD_TRACKING_PASSWORD", "pw")
    with scripted([(200, {})]) as server:
        client = HttpClient(f"http://127.0.0.1:{server.port}")
        client.call("DeleteRun", {"run_id": "r"})
        client.close()
    assert server.requests[0][1]["authorization"] == "Basic YWxpY2U6cHc="


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return str(cert), context


def test_tls_with_a_ca_bundle_insecure_or_refused(monkeypatch, certificate):
    cert, context = certificate
    monkeypatch.setenv("RUNYARD_HTTP_REQUEST_MAX_RETRIES", "0")
    with scripted([(200, {"ok": 1})] * 2, tls=context) as server:
        url = f"https://127.0.0.1:{server.port}"
        with pytest.raises(TemporarilyUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
            HttpClient(url).call("GetRun", {"run_id": "r"})
        monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", cert)
        trusted = HttpClient(url)
        assert trusted.call("GetRun", {"run_id": "r"}) == {"ok": 1}
        trusted.close()
        monkeypatch.delenv("MLFLOW_TRACKING_SERVER_CERT_PATH")
        monkeypatch.setenv("RUNYARD_TRACKING_INSECURE_TLS", "true")
        insecure = HttpClient(url)
        assert insecure.call("GetRun", {"run_id": "r"}) == {"ok": 1}
        insecure.close()
