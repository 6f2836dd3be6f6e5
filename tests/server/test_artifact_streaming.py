"""The artifact proxy over a real socket: streamed uploads and downloads of large files in flat
memory, aborted uploads that leave nothing behind, listings, deletes, and an S3 destination."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import time
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest

from runyard import uris
from tests.live_server import LiveServer, live_server
from tests.server.conftest import ServerEnv, files_under

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
MiB = 1024 * 1024
LARGE_MB = 300


@pytest.fixture
def server(server_env: ServerEnv) -> Iterator[LiveServer]:
    with live_server(server_env.backend_store_uri, server_env.destination_uri) as running:
        yield running


def _connection(server: LiveServer, timeout: float = 60) -> http.client.HTTPConnection:
    parts = urlsplit(server.url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def _request(server: LiveServer, method: str, path: str, body=None, headers=None) -> tuple[int, bytes]:
    connection = _connection(server)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _status_field(name: str) -> int:
    """A ``Vm*`` figure of this process (the server runs in a thread of it), in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"{name} not in /proc/self/status")


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux clear_refs); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _chunks(total_mb: int, digest) -> Iterator[bytes]:
    block = os.urandom(MiB)
    for i in range(total_mb):
        chunk = block[i:] + block[:i]
        digest.update(chunk)
        yield chunk


def _no_upload_leftovers(root: Path, timeout: float = 10.0) -> set[str]:
    """Files below ``root`` once in-progress upload files are gone (waits up to ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        found = files_under(root)
        if not any(".runyard-upload-" in name for name in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc to measure memory")
def test_large_upload_and_download_stream_in_flat_memory(server: LiveServer, server_env: ServerEnv) -> None:
    reset = _reset_peak_rss()
    before = _status_field("VmHWM") if reset else _status_field("VmRSS")
    sent = hashlib.sha256()
    connection = _connection(server, timeout=300)
    started = time.monotonic()
    connection.request("PUT", f"{PROXY}/big/blob.bin", body=_chunks(LARGE_MB, sent), encode_chunked=True,
                       headers={"Transfer-Encoding": "chunked"})
    response = connection.getresponse()
    assert response.status == 200 and json.loads(response.read()) == {}
    upload_s = time.monotonic() - started
    after_upload = _status_field("VmHWM")
    assert (server_env.destination / "big" / "blob.bin").stat().st_size == LARGE_MB * MiB

    received = hashlib.sha256()
    started = time.monotonic()
    connection.request("GET", f"{PROXY}/big/blob.bin")
    response = connection.getresponse()
    assert response.status == 200
    assert int(response.getheader("content-length")) == LARGE_MB * MiB
    size = 0
    while chunk := response.read(MiB):
        received.update(chunk)
        size += len(chunk)
    download_s = time.monotonic() - started
    connection.close()
    after_download = _status_field("VmHWM")

    assert size == LARGE_MB * MiB and received.hexdigest() == sent.hexdigest()
    growth = max(after_upload, after_download) - before
    print(f"\n{LARGE_MB} MB: upload {upload_s:.1f} s, download {download_s:.1f} s; peak RSS growth "
          f"{growth / MiB:.1f} MiB (upload {(after_upload - before) / MiB:.1f}, "
          f"download {(after_download - before) / MiB:.1f}; peak reset: {reset})")
    # A server holding the file would grow by its size; streaming keeps it to a few buffers.
    assert growth < 64 * MiB


def _start_upload(server: LiveServer, path: str, declared: int, sent: bytes) -> socket.socket:
    parts = urlsplit(server.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    head = (f"PUT {PROXY}/{path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
            f"Content-Length: {declared}\r\n\r\n").encode()
    sock.sendall(head + sent)
    return sock


def test_aborted_upload_leaves_no_file_and_no_temp_file(server: LiveServer, server_env: ServerEnv) -> None:
    assert _request(server, "PUT", f"{PROXY}/run/kept.txt", b"kept")[0] == 200
    sock = _start_upload(server, "run/partial.bin", 50 * MiB, os.urandom(5 * MiB))
    # While the body is arriving, nothing is visible under the final name or in a listing.
    time.sleep(0.3)
    status, body = _request(server, "GET", f"{PROXY}/run/partial.bin")
    assert status == 404
    status, body = _request(server, "GET", f"{PROXY}?path=run")
    assert [f["path"] for f in json.loads(body)["files"]] == ["kept.txt"]
    sock.close()  # the client goes away mid-body

    assert _no_upload_leftovers(server_env.destination) == {"run", "run/kept.txt"}
    status, body = _request(server, "GET", f"{PROXY}?path=run")
    assert [f["path"] for f in json.loads(body)["files"]] == ["kept.txt"]
    # The server keeps answering, and the same name can be uploaded afterwards.
    assert _request(server, "PUT", f"{PROXY}/run/partial.bin", b"whole")[0] == 200
    assert _request(server, "GET", f"{PROXY}/run/partial.bin") == (200, b"whole")


def test_aborted_chunked_upload_leaves_nothing(server: LiveServer, server_env: ServerEnv) -> None:
    parts = urlsplit(server.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    sock.sendall((f"PUT {PROXY}/c/partial.bin HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                  ).encode())
    for _ in range(3):
        sock.sendall(b"%x\r\n" % MiB + os.urandom(MiB) + b"\r\n")
    sock.sendall(b"%x\r\n" % MiB + b"x" * 1000)  # cut inside a chunk
    sock.close()
    assert not any(name.endswith("partial.bin") for name in _no_upload_leftovers(server_env.destination))
    assert ".runyard-upload-" not in " ".join(_no_upload_leftovers(server_env.destination))


def test_listing_names_are_relative_and_missing_is_empty(server: LiveServer) -> None:
    for path, data in (("exp/run/a.txt", b"a"), ("exp/run/sub/b.txt", b"bb"), ("exp/top.txt", b"ccc")):
        assert _request(server, "PUT", f"{PROXY}/{path}", data)[0] == 200
    status, body = _request(server, "GET", f"{PROXY}?path=exp/run")
    assert status == 200
    assert sorted(json.loads(body)["files"], key=lambda f: f["path"]) == [
        {"path": "a.txt", "is_dir": False, "file_size": 1}, {"path": "sub", "is_dir": True}]
    status, body = _request(server, "GET", f"{PROXY}?path=exp")
    assert sorted(f["path"] for f in json.loads(body)["files"]) == ["run", "top.txt"]
    assert [f["path"] for f in json.loads(_request(server, "GET", PROXY)[1])["files"]] == ["exp"]
    for missing in ("nope", "exp/run/nope", "exp/top.txt"):
        assert _request(server, "GET", f"{PROXY}?path={missing}") == (200, b"{}")
    status, body = _request(server, "GET", f"{PROXY}/exp/missing.txt")
    assert status == 404 and json.loads(body)["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    status, body = _request(server, "GET", f"{PROXY}/exp/run")
    assert status == 400  # a directory is not a download


def test_delete_file_and_directory(server: LiveServer, server_env: ServerEnv) -> None:
    for path in ("d/x/1.txt", "d/x/y/2.txt", "d/keep.txt"):
        assert _request(server, "PUT", f"{PROXY}/{path}", b"1")[0] == 200
    assert _request(server, "DELETE", f"{PROXY}/d/x") == (200, b"{}")
    assert files_under(server_env.destination) == {"d", "d/keep.txt"}
    assert _request(server, "DELETE", f"{PROXY}/d/keep.txt") == (200, b"{}")
    assert _request(server, "GET", f"{PROXY}?path=d") == (200, b"{}")


def test_traversal_over_a_real_socket(server: LiveServer, server_env: ServerEnv) -> None:
    (server_env.root / "target.txt").write_bytes(b"SECRET")
    for spelling in ("../target.txt", "%2e%2e/target.txt", "%252e%252e/target.txt", "..%5ctarget.txt",
                     "%c0%ae%c0%ae/target.txt", f"/{str(server_env.root).lstrip('/')}/target.txt", "a%00b"):
        for method in ("PUT", "GET", "DELETE"):
            status, body = _request(server, method, f"{PROXY}/{spelling}", b"pwned" if method == "PUT" else None)
            assert status == 400, (method, spelling, status, body)
            assert b"SECRET" not in body
    assert (server_env.root / "target.txt").read_bytes() == b"SECRET"
    assert files_under(server_env.destination) == set()


def test_proxy_to_s3(s3_bucket: str, server_env: ServerEnv) -> None:
    with live_server(server_env.backend_store_uri, s3_bucket) as server:
        sent = hashlib.sha256()
        connection = _connection(server)
        connection.request("PUT", f"{PROXY}/exp/run/model.bin", body=_chunks(12, sent), encode_chunked=True,
                           headers={"Transfer-Encoding": "chunked"})
        response = connection.getresponse()
        assert response.status == 200 and response.read() == b"{}"
        connection.request("GET", f"{PROXY}/exp/run/model.bin")
        response = connection.getresponse()
        assert response.status == 200
        assert hashlib.sha256(response.read()).hexdigest() == sent.hexdigest()
        connection.close()
        status, body = _request(server, "GET", f"{PROXY}?path=exp/run")
        assert json.loads(body) == {"files": [{"path": "model.bin", "is_dir": False, "file_size": 12 * MiB}]}
        assert _request(server, "PUT", f"{PROXY}/%2e%2e/escape.txt", b"x")[0] == 400
        assert _request(server, "DELETE", f"{PROXY}/exp/run/model.bin") == (200, b"{}")
        assert _request(server, "GET", f"{PROXY}?path=exp/run") == (200, b"{}")
    assert uris.scheme_of(s3_bucket) == "s3"
