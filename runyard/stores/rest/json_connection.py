"""A lean keep-alive HTTP/1.1 connection for the small JSON calls of the tracking API.

Each call is one ``sendall`` of request line, headers and body (no Nagle or delayed-ACK stalls,
``TCP_NODELAY`` set) and a response read with a buffered reader: a tenth of the client CPU that a
general HTTP library spends on header objects and e-mail parsing. Streaming artifact transfers use
urllib3 instead (``http_client.HttpClient.request``).
"""

from __future__ import annotations

import select
import socket
import ssl
from typing import Any


class NotSent(Exception):
    """The request never reached the server (connect failed, or the send was refused)."""


class NoResponse(Exception):
    """The request may have reached the server, but no complete response came back."""


def tls_context(insecure: bool, ca_bundle: str | None, client_cert: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_bundle)
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if client_cert:
        context.load_cert_chain(client_cert)
    return context


class JsonConnection:
    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None, connect_timeout: float,
                 read_timeout: float) -> None:
        self.host, self.port, self.tls = host, port, tls
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self.host_header = host if ":" not in host else f"[{host}]"
        default_port = 443 if tls is not None else 80
        if port != default_port:
            self.host_header += f":{port}"
        self.sock: socket.socket | Any = None
        self.reader: Any = None

    def close(self) -> None:
        sock, reader = self.sock, self.reader
        self.sock = self.reader = None
        if reader is not None:
            reader.close()
        if sock is not None:
            sock.close()

    def __del__(self) -> None:
        # A client dropped without close() (or a thread that ended) must not leak its socket.
        try:
            self.close()
        except Exception:  # noqa: BLE001 - nothing sensible to do during collection
            pass

    def _connect(self) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except OSError as exc:  # refused, unreachable, TLS handshake failed: nothing was sent
            raise NotSent(str(exc)) from None
        sock.settimeout(self.read_timeout)
        self.sock, self.reader = sock, sock.makefile("rb")

    def _usable(self) -> bool:
        """An idle kept-alive socket the server has closed reads as ready (EOF): drop it."""
        if self.sock is None:
            return False
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            readable = [True]
        if readable:
            self.close()
            return False
        return True

    def exchange(self, method: str, target: str, headers: bytes, body: bytes | None) -> tuple[int, dict[str, str], bytes]:
        """Send one request; (status, lower-cased headers, body)."""
        if not self._usable():
            self._connect()
        head = f"{method} {target} HTTP/1.1\r\nHost: {self.host_header}\r\n".encode("latin-1") + headers
        if body is not None:
            head += b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        else:
            head += b"\r\n"
        try:
            self.sock.sendall(head)
        except OSError as exc:
            self.close()
            raise NotSent(str(exc)) from None
        try:
            return self._read_response()
        except (OSError, ValueError) as exc:
            self.close()
            raise NoResponse(str(exc) or type(exc).__name__) from None

    def _read_response(self) -> tuple[int, dict[str, str], bytes]:
        reader = self.reader
        while True:
            line = reader.readline(65537)
            if not line:
                raise ValueError("connection closed before a response")
            parts = line.split(None, 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
                raise ValueError(f"malformed status line {line[:80]!r}")
            status = int(parts[1])
            headers: dict[str, str] = {}
            while True:
                line = reader.readline(65537)
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            if status >= 200 or status == 101:
                break  # skip 1xx interim responses
        data = self._read_body(headers)
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, data

    def _read_body(self, headers: dict[str, str]) -> bytes:
        reader = self.reader
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunks = []
            while True:
                size = int(reader.readline(1024).split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while reader.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self._exactly(size))
                reader.readline(3)
        length = headers.get("content-length")
        if length is not None:
            return self._exactly(int(length))
        data = reader.read()  # no length: the body ends with the connection
        self.close()
        return data

    def _exactly(self, size: int) -> bytes:
        data = self.reader.read(size)
        if len(data) != size:
            raise ValueError("connection closed in the middle of a response")
        return data
