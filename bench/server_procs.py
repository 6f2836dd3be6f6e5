"""Server processes for ``bench/bench_server.py``: backends, spawning a server from its CLI, readiness,
the process tree's memory (PSS / VmRSS) and CPU time, and stopping the whole tree.

Servers start in a session of their own (``start_new_session=True``) and are stopped by signalling
that process group: SIGTERM, a grace period for every process of the tree, then SIGKILL.
"""

from __future__ import annotations

import ctypes
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

BIN = os.path.dirname(sys.executable)
API = "/api/2.0/mlflow"

# -- backends ------------------------------------------------------------------------------------

def make_backend(system: str, kind: str, workdir: str, pg_url: str) -> tuple[str, Callable[[], None]]:
    """The system's backend store URI (a fresh database of ``kind``) and how to remove it."""
    if kind == "sqlite":
        return f"sqlite:///{workdir}/{system[0]}.db", lambda: None
    import psycopg  # only for --backend postgresql (psycopg 3, in the test extra)

    name = f"bench_{system}_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    u = urlsplit(pg_url)
    scheme = "postgresql+psycopg" if system == "mlflow" else "postgresql"  # MLflow defaults to psycopg2
    uri = urlunsplit((scheme, u.netloc, "/" + name, u.query, ""))

    def drop() -> None:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return uri, drop


# -- server processes ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "RUNYARD_", "_MLFLOW_"))}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true", PYTHONHASHSEED="0")
    return env


@dataclass
class Server:
    system: str
    proc: subprocess.Popen
    url: str
    t_spawn: float
    log_path: str
    last_tree: list[int] = field(default_factory=list)

    def log_tail(self, n: int = 30) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


def server_command(system: str, backend_uri: str, artifacts: str, port: int | str, workers: int | None) -> list[str]:
    cmd = [os.path.join(BIN, system), "server", "--backend-store-uri", backend_uri,
           "--artifacts-destination", artifacts, "--host", "127.0.0.1", "--port", str(port)]
    return cmd + (["--workers", str(workers)] if workers else [])


_LIBC = ctypes.CDLL(None) if sys.platform.startswith("linux") else None  # loaded before any fork


def _term_with_parent() -> None:
    """In the child before exec: SIGTERM when the harness dies, even by SIGKILL (Linux only)."""
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn_server(system: str, backend_uri: str, artifacts: str, workers: int | None, log_path: str) -> Server:
    port = free_port()
    cmd = server_command(system, backend_uri, artifacts, port, workers)
    log = open(log_path, "ab")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=server_env(), cwd=os.path.dirname(log_path), start_new_session=True,
                            preexec_fn=_term_with_parent)
    log.close()
    return Server(system, proc, f"http://127.0.0.1:{port}", t0, log_path)


def wait_ready(srv: Server, timeout: float) -> dict[str, float]:
    """Seconds from spawn until GET /health answers 200, and until experiments/search succeeds too."""
    deadline = srv.t_spawn + timeout
    u = urlsplit(srv.url)
    t_health = None
    while True:
        if srv.proc.poll() is not None:
            raise RuntimeError(f"{srv.system} server exited with {srv.proc.returncode}:\n{srv.log_tail()}")
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{srv.system} server not ready within {timeout:.0f} s:\n{srv.log_tail()}")
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
        try:
            if t_health is None:
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    t_health = time.perf_counter() - srv.t_spawn
                    continue
            else:
                conn.request("POST", f"{API}/experiments/search", body=b'{"max_results": 10}',
                             headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                if resp.status == 200 and "experiments" in json.loads(resp.read()):
                    return {"health_s": t_health, "ready_s": time.perf_counter() - srv.t_spawn}
        except (OSError, http.client.HTTPException, ValueError):
            pass
        finally:
            conn.close()
        time.sleep(0.01)


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(name))
    return kids


def process_tree(root: int) -> list[int]:
    kids = _children_map()
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(kids.get(pid, ()))
    return tree


def _kib(path: str, field_name: str) -> int | None:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field_name):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _label(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return "?"
    text = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(argv))
    return text[:90]


def tree_memory(srv: Server) -> dict[str, Any]:
    """Summed RSS (VmRSS) and PSS (smaps_rollup) of the server and all its descendants, in MiB."""
    pids = srv.last_tree = process_tree(srv.proc.pid)
    procs = []
    for pid in pids:
        rss = _kib(f"/proc/{pid}/status", "VmRSS:")
        if rss is None:
            continue  # gone, or a zombie
        pss = _kib(f"/proc/{pid}/smaps_rollup", "Pss:")
        procs.append({"pid": pid, "rss_mib": rss / 1024, "pss_mib": None if pss is None else pss / 1024,
                      "cmd": _label(pid)})
    have_pss = all(p["pss_mib"] is not None for p in procs)
    return {"processes": len(procs), "rss_mib": sum(p["rss_mib"] for p in procs),
            "pss_mib": sum(p["pss_mib"] for p in procs) if have_pss else None, "per_process": procs}


def tree_cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by the live processes among ``pids``."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def settle(srv: Server, timeout: float, below: float = 0.05, window: float = 1.0) -> dict[str, float]:
    """Wait until the server's process tree uses under ``below`` CPU cores over ``window`` seconds
    (workers and helpers that start after the first answer have finished starting)."""
    t0 = time.perf_counter()
    while True:
        pids = process_tree(srv.proc.pid)
        a = tree_cpu_s(pids)
        time.sleep(window)
        usage = (tree_cpu_s(pids) - a) / window
        waited = time.perf_counter() - t0
        if usage < below or waited >= timeout:
            return {"settle_s": waited, "idle_cpu_cores": usage, "settled": usage < below}


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _environ_value(pid: int, name: str) -> str | None:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            for item in f.read().split(b"\0"):
                if item.startswith(name.encode() + b"="):
                    return item.split(b"=", 1)[1].decode()
    except OSError:
        return None
    return None


def stop_server(srv: Server, grace: float = 15.0) -> dict[str, Any]:
    """SIGTERM the server's process group, wait for every process of its tree, SIGKILL what is left."""
    tree = process_tree(srv.proc.pid) if srv.proc.poll() is None else srv.last_tree
    tree = sorted(set(tree) | set(srv.last_tree))
    labels = {pid: _label(pid) for pid in tree}
    # MLflow's job runner keeps its queue in a fresh /dev/shm directory it never removes.
    shm_dirs = {v for v in (_environ_value(p, "_MLFLOW_HUEY_STORAGE_PATH") for p in tree) if v}
    t0 = time.perf_counter()
    try:
        os.killpg(srv.proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    while time.perf_counter() - t0 < grace and any(_alive(p) for p in tree):
        srv.proc.poll()
        time.sleep(0.05)
    left = [p for p in tree if _alive(p) and _label(p) == labels[p]]
    if left:
        try:
            os.killpg(srv.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for pid in left:  # descendants that left the group (none expected)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    try:
        srv.proc.wait(10)
    except subprocess.TimeoutExpired:
        pass
    for d in shm_dirs:
        if d.startswith("/dev/shm/") or d.startswith("/tmp/"):
            shutil.rmtree(d, ignore_errors=True)
    return {"stop_s": time.perf_counter() - t0, "killed": len(left)}


