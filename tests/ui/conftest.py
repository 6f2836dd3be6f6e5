"""Browser tests of the web UI: a live runyard server, the system's headless Chromium, Playwright.

Fixtures every UI test builds on:

- ``ui_server`` — a runyard server on a free loopback port (uvicorn in a thread) over a fresh SQLite
  store and local artifact folder in ``tmp_path``: ``.url`` (ends in ``/``), ``.tracking_uri`` and
  ``.client`` (a ``runyard.RunyardClient`` talking to that server over REST, to create data with).
- ``browser`` (session) — Debian's ``/usr/bin/chromium`` (or ``RUNYARD_TEST_CHROMIUM``) driven by
  Playwright; ``playwright install`` is never used.
- ``page`` — a fresh context and page (1400×900). A JavaScript error on the console or an uncaught
  exception fails the test (listed in the failure); ``js_errors`` is that list, for a test that
  provokes one on purpose and clears it. A final screenshot is saved either way.
- ``snap`` — ``snap(page, name)`` saves ``test-output/ui/<test>/<name>.png`` (git-ignored).

Without Chromium or Playwright the tests skip with the reason, unless ``RUNYARD_REQUIRE_BROWSER=1``
(set by .ci/run), where they fail instead.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

from runyard.client import RunyardClient
from runyard.stores import factory
from tests.live_server import LiveServer, live_server

CHROMIUM = os.environ.get("RUNYARD_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "ui"
# Console lines that report a failed request (a 404 the page asked for and shows) are network
# noise, not script errors; a page that fails to handle one shows it in its own output instead.
_NETWORK_NOISE = ("Failed to load resource",)


@dataclass
class UiServer:
    url: str
    tracking_uri: str
    client: RunyardClient
    server: LiveServer


@pytest.fixture
def ui_server(tmp_path) -> Iterator[UiServer]:
    """A live runyard server over a fresh SQLite store; create data through ``.client`` (REST)."""
    with live_server(f"sqlite:///{tmp_path}/ui.db", str(tmp_path / "artifacts")) as server:
        factory.clear_cache()
        yield UiServer(url=server.url + "/", tracking_uri=server.url,
                       client=RunyardClient(tracking_uri=server.url), server=server)
    factory.clear_cache()


def _unavailable(reason: str) -> None:
    if os.environ.get("RUNYARD_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + "; RUNYARD_REQUIRE_BROWSER=1 makes the browser tests mandatory", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from the system (scripts/test.sh installs Debian's package)."""
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no Chromium at {CHROMIUM} (scripts/test.sh installs Debian's chromium package)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"Playwright is not installed ({exc}); pip install -e '.[test]'")
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()
    finally:
        playwright.stop()


def _test_dir(node_name: str) -> Path:
    return SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", node_name).strip("_")


@pytest.fixture
def snap(request) -> Callable:
    """``snap(page, name)``: a full-page screenshot at ``test-output/ui/<test>/<name>.png``."""
    folder = _test_dir(request.node.name)

    def save(page, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name) + ".png")
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def js_errors() -> list[str]:
    """JavaScript errors the page logged so far (the ``page`` fixture fills it and checks it)."""
    return []


@pytest.fixture
def page(browser, js_errors, request):
    """A new context and page (1400×900); JavaScript errors fail the test, a final screenshot is kept."""
    context = browser.new_context(viewport=VIEWPORT)
    opened = context.new_page()

    def on_console(message) -> None:
        if message.type == "error" and not message.text.startswith(_NETWORK_NOISE):
            where = message.location or {}
            js_errors.append(f"console.error: {message.text} ({where.get('url', '?')}:{where.get('lineNumber', '?')})")

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: js_errors.append(f"uncaught: {error}"))
    request.node._ui_page = opened
    request.node._ui_js_errors = js_errors
    try:
        yield opened
    finally:
        context.close()


def _final_screenshot(item) -> None:
    opened = getattr(item, "_ui_page", None)
    if opened is None or opened.is_closed():
        return
    folder = _test_dir(item.name)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        opened.screenshot(path=str(folder / "final.png"), full_page=True)
    except Exception as exc:  # noqa: BLE001 - a crashed page still reports its errors
        item.add_report_section("call", "screenshot", f"final screenshot failed: {exc}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After the test body: keep a final screenshot, then fail the test on JavaScript errors."""
    try:
        result = yield
    except BaseException:
        _final_screenshot(item)
        errors = getattr(item, "_ui_js_errors", None)
        if errors:
            item.add_report_section("call", "JavaScript errors", "\n".join(errors))
        raise
    _final_screenshot(item)  # also lets Playwright deliver console events still in flight
    errors = getattr(item, "_ui_js_errors", None)
    if errors:
        pytest.fail("the page logged JavaScript errors:\n  " + "\n  ".join(errors), pytrace=False)
    return result
