"""Pre-forked workers sharing one listening socket.

uvicorn's own multi-worker mode starts each worker with ``multiprocessing`` *spawn*: every worker
imports Python, SQLAlchemy and runyard from scratch (seconds on a small machine) and a resource
tracker process tags along. Forking after the imports makes workers ready at once and lets them
share the imported code's memory pages.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys
import time
from typing import Callable

import uvicorn

from runyard.diagnostics import get_logger
from runyard.errors import InvalidParameterValue

_log = get_logger(__name__)
CRASH_WINDOW_SECONDS = 10.0
MAX_CRASHES_IN_WINDOW = 5
_PR_SET_PDEATHSIG = 1


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InvalidParameterValue(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def uvicorn_config(app_factory: Callable[[], object]) -> uvicorn.Config:
    return uvicorn.Config(
        app_factory, factory=True, http="httptools", loop="auto", lifespan="on", access_log=False,
        log_level="warning", timeout_keep_alive=30, server_header=False, date_header=False,
        proxy_headers=False,  # client addresses are not used; skip the per-request middleware
    )


def _run_worker(app_factory: Callable[[], object], sock: socket.socket) -> None:
    uvicorn.Server(uvicorn_config(app_factory)).run(sockets=[sock])


def _die_with(parent: int) -> None:
    """Have the kernel stop this worker when the supervisor dies (SIGKILL, OOM killer), so that
    orphaned workers do not keep the port and serve with nobody watching them."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the supervisor died before the line above took effect
        os._exit(0)


def serve(app_factory: Callable[[], object], host: str, port: int, workers: int) -> int:
    """Serve until SIGINT/SIGTERM; returns the exit status."""
    sock = bind(host, port)
    if workers <= 1:
        _run_worker(app_factory, sock)
        return 0
    children: set[int] = set()
    parent = os.getpid()
    stopping = False
    crashes: list[float] = []

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _die_with(parent)
            status = 0
            try:
                _run_worker(app_factory, sock)
            except BaseException:  # noqa: BLE001 - a worker reports and exits, the parent decides
                _log.exception("runyard worker failed")
                status = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        children.add(pid)

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                children.discard(pid)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for _ in range(workers):
        spawn()
    status = 0
    while children:
        try:
            pid, _ = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        children.discard(pid)
        if stopping:
            continue
        now = time.monotonic()
        crashes = [t for t in crashes if now - t < CRASH_WINDOW_SECONDS] + [now]
        if len(crashes) > MAX_CRASHES_IN_WINDOW:
            print("runyard server: workers keep exiting; giving up", file=sys.stderr)
            stop(signal.SIGTERM, None)
            status = 1
            continue
        spawn()
    sock.close()
    return status
