"""``runyard server`` / ``runyard ui`` as real subprocesses: readiness, workers, signals, errors."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from tests.live_server import free_port

READY_BOUND_S = 10.0  # generous: only catches a server that hangs, not a slow machine


def _command() -> list[str]:
    script = Path(sys.executable).parent / "runyard"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from runyard.cli import main; main()"]


def _get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:"):
                inodes.add(target)
    except OSError:
        pass
    return inodes


class ServerProcess:
    def __init__(self, process: subprocess.Popen, url: str, ready_s: float) -> None:
        self.process = process
        self.url = url
        self.ready_s = ready_s


@contextmanager
def server_process(tmp_path: Path, *extra: str) -> Iterator[ServerProcess]:
    port = free_port()
    args = _command() + ["server", "--port", str(port), "--backend-store-uri", f"sqlite:///{tmp_path}/srv.db",
                         "--artifacts-destination", str(tmp_path / "artifacts"), *extra]
    started = time.monotonic()
    # Its own session, so that whatever is left of it can be stopped as one process group.
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if process.poll() is not None:
                raise AssertionError(f"server exited with {process.returncode}: {process.stderr.read().decode()}")
            try:
                if _get(url + "/health", timeout=0.5)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() - started > 60:
                raise AssertionError("server did not answer /health within 60 s")
            time.sleep(0.02)
        yield ServerProcess(process, url, time.monotonic() - started)
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(process.pid, signal.SIGKILL)  # the group this test started
        except ProcessLookupError:
            pass
        process.communicate(timeout=20)


def test_server_becomes_ready_and_serves(tmp_path: Path) -> None:
    with server_process(tmp_path) as server:
        print(f"\nrunyard server ready (GET /health 200) after {server.ready_s:.2f} s")
        assert server.ready_s < READY_BOUND_S
        status, body = _get(server.url + "/api/2.0/mlflow/experiments/get?experiment_id=0")
        assert status == 200 and json.loads(body)["experiment"]["name"] == "Default"
        assert _get(server.url + "/version")[0] == 200


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_server_exits_cleanly_on_signal(tmp_path: Path, signum: int) -> None:
    with server_process(tmp_path) as server:
        workers = _children(server.process.pid)
        server.process.send_signal(signum)
        _, stderr = server.process.communicate(timeout=20)
        assert server.process.returncode == 0, stderr.decode()
        assert b"Traceback" not in stderr
        assert not any(_alive(pid) for pid in workers)


def test_workers_stop_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    with server_process(tmp_path) as server:
        workers = _children(server.process.pid)
        assert workers
        server.process.kill()
        server.process.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in workers)
        with pytest.raises(OSError):
            _get(server.url + "/health", timeout=1)


def test_default_two_workers_both_serve(tmp_path: Path) -> None:
    with server_process(tmp_path) as server:
        workers = _children(server.process.pid)
        assert len(workers) == 2, workers
        baseline = {pid: _socket_inodes(pid) for pid in workers}
        served = set()
        connections = []
        # Keep-alive connections stay with the worker that accepted them; open them until each
        # worker holds at least one that it answered.
        port = int(server.url.rsplit(":", 1)[1])
        try:
            for _ in range(200):
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0")
                response = connection.getresponse()
                assert response.status == 200
                response.read()
                connections.append(connection)
                served = {pid for pid in workers if _socket_inodes(pid) - baseline[pid]}
                if served == workers:
                    break
        finally:
            for connection in connections:
                connection.close()
        assert served == workers


def test_ui_alias_help() -> None:
    result = subprocess.run(_command() + ["ui", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "--backend-store-uri" in result.stdout and "--artifacts-destination" in result.stdout


@pytest.mark.parametrize("args", [
    ["--backend-store-uri", "bogus://nowhere"],
    ["--backend-store-uri", "postgresql://nobody@127.0.0.1:1/db"],
    ["--backend-store-uri", "sqlite:////nonexistent-dir/sub/x.db"],
    ["--port", "99999"],
    ["--port", "{busy}"],
    ["--artifacts-destination", "gopher://host/x"],
    ["--artifacts-destination", "mlflow-artifacts:/loop"],
])
def test_bad_arguments_fail_with_one_error_line(tmp_path: Path, args: list[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        args = [a.format(busy=busy.getsockname()[1]) for a in args]
        if "--port" not in args:
            args += ["--port", str(free_port())]
        if "--backend-store-uri" not in args:
            args += ["--backend-store-uri", f"sqlite:///{tmp_path}/x.db"]
        result = subprocess.run(_command() + ["server", *args], capture_output=True, text=True, timeout=60,
                                cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
