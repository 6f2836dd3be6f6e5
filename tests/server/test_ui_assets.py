"""The web UI's files: the page at ``/``, its assets under ``/static/``, nothing else."""

from __future__ import annotations

import pytest

from runyard.server.ui_assets import static_root
from tests.server.asgi_driver import AsgiDriver


def test_root_serves_the_single_page_with_a_strict_policy(client: AsgiDriver) -> None:
    response = client.get("/")
    assert response.status == 200
    assert response.header("content-type") == "text/html; charset=utf-8"
    assert '<script type="module" src="static/app.js">' in response.text
    policy = response.header("content-security-policy")
    assert "script-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response.header("x-content-type-options") == "nosniff"
    assert [name for name, _ in response.headers].count(b"x-content-type-options") == 1


def test_every_shipped_asset_is_served_with_its_type(client: AsgiDriver) -> None:
    files = [p for p in static_root().rglob("*") if p.is_file()]
    assert any(p.name == "app.js" for p in files)
    types = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
             ".html": "text/html; charset=utf-8"}
    for path in files:
        relative = path.relative_to(static_root()).as_posix()
        response = client.get("/static/" + relative)
        assert response.status == 200, relative
        assert response.body == path.read_bytes()
        if path.suffix in types:
            assert response.header("content-type") == types[path.suffix]
        assert response.header("x-content-type-options") == "nosniff"


@pytest.mark.parametrize("path", [
    "/static/", "/static/missing.js", "/static/../server/app.py", "/static/..%2fserver%2fapp.py",
    "/static/pages/../../server/app.py", "/static//etc/passwd", "/static/.hidden", "/static/%2e%2e/app.py",
    "/static/app.js%00.png", "/static/pages\\..\\app.js",
])
def test_nothing_outside_the_static_root_is_served(client: AsgiDriver, path: str) -> None:
    response = client.get(path)
    assert response.status == 404
    assert b"import" not in response.body


def test_post_to_the_page_is_refused(client: AsgiDriver) -> None:
    assert client.post("/", {}).status == 405
