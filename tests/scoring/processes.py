"""Real ``runyard models serve`` processes for the scoring tests: start, wait for /ping, post, stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from typing import IO

RUNYARD = os.path.join(os.path.dirname(sys.executable), "runyard")


def start(argv: list[str], stderr: IO[bytes] | int = subprocess.PIPE, env: dict[str, str] | None = None
          ) -> subprocess.Popen:
    """Start a command in its own session (so that ``stop`` ends it and every child)."""
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
                            env={**os.environ, **(env or {})})


def wait_ready(process: subprocess.Popen, url: str, seconds: float, log: str = "") -> None:
    """Wait until ``url``/ping answers 200; fails early when the process exits."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            text = process.stderr.read().decode() if process.stderr else open(log).read() if log else ""
            raise AssertionError(f"server exited with {process.returncode}: {text[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/ping", timeout=1) as response:
                assert response.status == 200
                return
        except OSError:
            assert time.monotonic() < deadline, f"{url} did not become ready in {seconds:g} s"
            time.sleep(0.2)


def post_json(url: str, body: object) -> object:
    """POST ``body`` to ``url``/invocations as JSON; returns the decoded answer."""
    request = urllib.request.Request(url + "/invocations", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the process group, SIGKILL it if it lingers."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
    if process.stderr:
        process.stderr.close()
