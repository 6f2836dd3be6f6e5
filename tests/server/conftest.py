"""Fixtures of the server tests: the ASGI app in process on a fresh SQLite store."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from runyard import uris
from runyard.server import create_app
from runyard.server.launch import build_settings, prepare_backend
from runyard.stores import factory
from tests.server.asgi_driver import AsgiDriver


@dataclass
class ServerEnv:
    root: Path
    backend_store_uri: str
    destination: Path

    @property
    def destination_uri(self) -> str:
        return uris.path_to_file_uri(str(self.destination))


def files_under(path: Path) -> set[str]:
    """Every file and directory below ``path`` (relative, '/'-separated)."""
    return {p.relative_to(path).as_posix() for p in path.rglob("*")}


@pytest.fixture
def server_env(tmp_path: Path) -> Iterator[ServerEnv]:
    root = tmp_path / "srv"
    destination = root / "artifacts"
    destination.mkdir(parents=True)
    yield ServerEnv(root, f"sqlite:///{root}/runyard.db", destination)
    factory.clear_cache()


@pytest.fixture
def make_driver(server_env: ServerEnv) -> Iterator[Callable[..., AsgiDriver]]:
    """``make_driver(**setting_overrides)``: an in-process driver of a server on ``server_env``."""
    drivers: list[AsgiDriver] = []

    def make(host: str = "localhost:5000", **overrides: Any) -> AsgiDriver:
        settings = build_settings(backend_store_uri=server_env.backend_store_uri,
                                  artifacts_destination=server_env.destination_uri, workers=1)
        if overrides:
            settings = replace(settings, **overrides)
        prepare_backend(settings)
        driver = AsgiDriver(create_app(settings), host=host)
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.close()


@pytest.fixture
def client(make_driver: Callable[..., AsgiDriver]) -> AsgiDriver:
    return make_driver()
