"""Registry tests run on the embedded store and through a live runyard server (proxied artifacts)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import runyard
from runyard.stores import factory
from tests.live_server import live_server


@pytest.fixture(params=["embedded", "server"])
def backend(request, tracking, tmp_path):
    """``SimpleNamespace(kind, uri, server)``: the embedded store, or a live server the fluent API
    and clients point at."""
    if request.param == "embedded":
        yield SimpleNamespace(kind="embedded", uri=tracking, server=None)
        return
    with live_server(f"sqlite:///{tmp_path}/server.db", str(tmp_path / "served-artifacts")) as server:
        factory.clear_cache()
        runyard.set_tracking_uri(server.url)
        yield SimpleNamespace(kind="server", uri=server.url, server=server)
