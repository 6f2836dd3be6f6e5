"""A real runyard server (uvicorn on a loopback port, in a thread) for tests that need a socket."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from typing import Iterator

import uvicorn

from runyard.server import ServerSettings, create_app
from runyard.server.launch import build_settings, prepare_backend


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.url = f"http://127.0.0.1:{settings.port}"
        self.app = create_app(settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=settings.port, http="httptools",
                                log_level="warning", access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@contextmanager
def live_server(backend_store_uri: str, artifacts_destination: str, **overrides) -> Iterator[LiveServer]:
    settings = build_settings(backend_store_uri=backend_store_uri, artifacts_destination=artifacts_destination,
                              port=free_port(), workers=1)
    if overrides:
        settings = replace(settings, **overrides)
    prepare_backend(settings)
    server = LiveServer(settings).start()
    try:
        yield server
    finally:
        server.stop()
