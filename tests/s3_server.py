"""A real S3-compatible server for tests: moto in server mode, as a subprocess on loopback.

``s3_server`` (session scope) starts ``python -m moto.server`` on a free 127.0.0.1 port and stops
it at the end; ``s3_bucket`` (function scope) points the S3 environment at it and returns the
``s3://<fresh bucket>/<prefix>`` root of an empty bucket.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

# moto checks S3's 5 MiB minimum for all but the last part; lowered so that tests can drive
# multipart uploads with small parts. Real S3 keeps the minimum (see S3ArtifactStore.part_size).
MIN_PART_SIZE = 1024
_ACCESS_KEY = "runyard-test-key"
_SECRET_KEY = "runyard-test-secret"
_REGION = "us-east-1"
_START_TIMEOUT_S = 30.0


@dataclass
class S3Server:
    """A running moto server: its endpoint and a way to make buckets in it."""

    endpoint_url: str
    process: subprocess.Popen = field(repr=False)
    _client: Any = field(default=None, repr=False)

    @property
    def client(self) -> Any:
        """A boto3 client of the server built from explicit test credentials (not the environment)."""
        if self._client is None:
            import boto3

            self._client = boto3.session.Session().client(
                "s3", endpoint_url=self.endpoint_url, region_name=_REGION,
                aws_access_key_id=_ACCESS_KEY, aws_secret_access_key=_SECRET_KEY,
            )
        return self._client

    def create_bucket(self, name: str | None = None) -> str:
        """Create an empty bucket (a fresh unique name by default) and return its name."""
        name = name or f"runyard-test-{uuid.uuid4().hex[:16]}"
        self.client.create_bucket(Bucket=name)
        return name


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status < 500
    except urllib.error.HTTPError as exc:  # any HTTP answer means the server is up
        return exc.code < 500
    except OSError:
        return False


def _start(log: Any) -> S3Server:
    port = _free_port()
    env = dict(os.environ, S3_UPLOAD_PART_MIN_SIZE=str(MIN_PART_SIZE))
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if _answers(endpoint + "/"):
            return S3Server(endpoint_url=endpoint, process=process)
        time.sleep(0.1)
    _stop(process)
    log.seek(0)
    raise RuntimeError(f"moto server did not start on port {port}:\n{log.read().decode(errors='replace')[-4000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A moto S3 server subprocess on a free loopback port, for the whole session."""
    with tempfile.TemporaryFile() as log:
        try:
            server = _start(log)
        except RuntimeError:
            server = _start(log)  # the free port may have been taken between probe and bind
        try:
            yield server
        finally:
            if server._client is not None:
                server._client.close()
            _stop(server.process)


@pytest.fixture
def s3_bucket(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """``s3://<new bucket>/runs/artifacts`` with the S3 environment pointed at ``s3_server``."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "RUNYARD_S3_ENDPOINT_URL",
                 "RUNYARD_S3_IGNORE_TLS", "MLFLOW_S3_IGNORE_TLS", "RUNYARD_S3_MULTIPART_THRESHOLD",
                 "MLFLOW_S3_MULTIPART_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", _ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", _SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", _REGION)
    # Keep the developer's ~/.aws and the EC2 metadata service out of the tests.
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", s3_server.endpoint_url)
    return f"s3://{s3_server.create_bucket()}/runs/artifacts"
