"""`runyard server` as a real subprocess (what users run), for tests that restart or scale it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from typing import Iterator

from tests.live_server import free_port

RUNYARD = os.path.join(os.path.dirname(sys.executable), "runyard")


class ServerProcess:
    def __init__(self, backend: str, destination: str, port: int | None = None, workers: int = 1) -> None:
        self.backend, self.destination, self.workers = backend, destination, workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "ServerProcess":
        self.process = subprocess.Popen(
            [RUNYARD, "server", "--backend-store-uri", self.backend, "--artifacts-destination", self.destination,
             "--port", str(self.port), "--workers", str(self.workers)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"runyard server exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("runyard server did not become ready")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        self.process.stderr.close()


@contextmanager
def server_process(backend: str, destination: str, workers: int = 1) -> Iterator[ServerProcess]:
    server = ServerProcess(backend, destination, workers=workers).start()
    try:
        yield server
    finally:
        server.stop()
