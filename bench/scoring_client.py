"""The client side of ``bench/bench_scoring.py``: one raw keep-alive HTTP/1.1 connection, request
bodies for a housing-like model, latency percentiles, and checking every answer's predictions.

The client is a plain socket with TCP_NODELAY: each request (headers and body, prebuilt before the
clock) goes out in one ``sendall``; the answer is read by its Content-Length (or chunks). Its own
cost per request is a few microseconds, so what is timed is the server. A server that closes the
connection, or answers anything but 200, fails the run: every figure comes from one connection.
"""

from __future__ import annotations

import json
import select
import socket
from typing import Any

import numpy as np

COLUMNS = ["MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude", "Longitude"]


class ConnectionClosed(RuntimeError):
    pass


class KeepAliveClient:
    """One HTTP/1.1 keep-alive connection; ``send(raw)`` returns (status, body)."""

    def __init__(self, host: str, port: int, timeout: float = 60.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.reopened = 0
        self._connect()

    def _connect(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def reopen_if_closed(self) -> bool:
        """Between timed blocks: reconnect if the server closed the idle connection (its keep-alive
        timeout: uvicorn's default is 5 s). Never called inside a block, where a close is a failure."""
        if not select.select([self.sock], [], [], 0)[0]:
            return False
        try:
            if self.sock.recv(1, socket.MSG_PEEK):
                raise ConnectionClosed("the server sent bytes nobody asked for")
        except ConnectionResetError:
            pass
        self.sock.close()
        self._connect()
        self.reopened += 1
        return True

    def _fill(self) -> None:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionClosed("the server closed the keep-alive connection")
        self.buf += chunk

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def _line(self) -> bytes:
        while (i := self.buf.find(b"\r\n")) < 0:
            self._fill()
        out = bytes(self.buf[:i])
        del self.buf[:i + 2]
        return out

    def send(self, raw: bytes) -> tuple[int, bytes]:
        self.sock.sendall(raw)
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            self._fill()
        head = bytes(self.buf[:end])
        del self.buf[:end + 4]
        lines = head.split(b"\r\n")
        status = int(lines[0].split(None, 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if b"content-length" in headers:
            body = self._take(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            parts = []
            while size := int(self._line().split(b";")[0], 16):
                parts.append(self._take(size))
                self._take(2)
            while self._line():  # trailers, then the blank line
                pass
            body = b"".join(parts)
        else:
            raise ConnectionClosed("an answer without Content-Length or chunks cannot keep the connection")
        if headers.get(b"connection", b"").lower() == b"close":
            raise ConnectionClosed(f"the server answered 'Connection: close' (HTTP {status})")
        return status, body

    def close(self) -> None:
        self.sock.close()


def post_bytes(host: str, port: int, path: str, body: bytes, content_type: str = "application/json") -> bytes:
    """A whole HTTP/1.1 POST (headers and body), to go out in one send."""
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nAccept: */*\r\n\r\n").encode("latin-1")
    return head + body


def split_body(rows: np.ndarray) -> bytes:
    """A ``dataframe_split`` request for ``rows`` (floats written with repr, so they read back exactly)."""
    return json.dumps({"dataframe_split": {"columns": COLUMNS, "data": rows.tolist()}}).encode()


def percentiles(seconds: list[float]) -> dict[str, float]:
    s = sorted(seconds)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
    return {"p50_ms": pick(0.5) * 1e3, "p90_ms": pick(0.9) * 1e3, "p99_ms": pick(0.99) * 1e3,
            "mean_ms": sum(s) / len(s) * 1e3, "min_ms": s[0] * 1e3, "max_ms": s[-1] * 1e3}


def predictions_of(body: bytes) -> np.ndarray:
    payload = json.loads(body)
    if not isinstance(payload, dict) or "predictions" not in payload:
        raise ValueError(f"no 'predictions' in the answer: {body[:200]!r}")
    return np.asarray(payload["predictions"], dtype=np.float64).ravel()


def check_predictions(bodies: list[bytes], which: list[int], expected: list[np.ndarray]) -> dict[str, Any]:
    """Compare answer ``i`` with ``expected[which[i]]``; a wrong or unreadable answer is a problem."""
    exact = 0
    worst = 0.0
    problems: list[str] = []
    for i, (body, k) in enumerate(zip(bodies, which)):
        want = expected[k]
        try:
            got = predictions_of(body)
        except ValueError as exc:
            problems.append(f"answer {i}: {exc}")
            continue
        if got.shape != want.shape:
            problems.append(f"answer {i}: {got.shape[0]} predictions, expected {want.shape[0]}")
            continue
        if np.array_equal(got, want):
            exact += 1
            continue
        rel = float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-12)))
        worst = max(worst, rel)
        if not np.allclose(got, want, rtol=1e-9, atol=1e-12):
            problems.append(f"answer {i}: predictions differ from the local model's (max relative difference "
                            f"{rel:.3g}; got {got[:3].tolist()}, expected {want[:3].tolist()})")
    return {"checked": len(bodies), "bitwise_equal": exact, "max_rel_diff": worst, "problems": problems}
