"""Clients for ``bench/bench_server.py``: a raw keep-alive HTTP client, read-back verification, and the
client child processes that generate the load (each system's own client, or the raw one).

Child entry point (the harness calls this; you normally don't)::

    python bench/server_workloads.py '{"mode": "latency", "client": "raw", "url": "http://127.0.0.1:5000",
                                       "run_id": "...", "n": 500, "warmup": 50}'

A child prints one JSON line as its result (``load`` children first print ``ready`` and wait for
``go <t_go> <t_end>`` on stdin, so that every client starts at the same moment).
"""

from __future__ import annotations

import http.client
import json
import os
import select
import subprocess
import sys
import time
import traceback
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

from server_procs import API, server_env

PY = sys.executable
HISTORY_PAGE = 25_000  # both servers' page limit for get-history
BATCH_KEYS, BATCH_STEPS = 10, 100  # one log-batch request: 10 keys x 100 steps = 1000 points


# -- raw HTTP client -----------------------------------------------------------------------------

class HttpError(RuntimeError):
    pass


class RawClient:
    """One keep-alive ``http.client`` connection (TCP_NODELAY, headers and body in one send)."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        u = urlsplit(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)

    def send(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
            return resp.status, resp.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # reconnects on the next request
            raise

    def call(self, method: str, endpoint: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        if method == "GET":
            status, raw = self.send("GET", f"{API}/{endpoint}?{urlencode(data or {})}")
        else:
            status, raw = self.send(method, f"{API}/{endpoint}", json.dumps(data or {}).encode())
        if status != 200:
            raise HttpError(f"{method} {endpoint} -> HTTP {status}: {raw[:300]!r}")
        return json.loads(raw) if raw else {}

    def close(self) -> None:
        self.conn.close()


def metric_body(run_id: str, key: str, value: float, step: int) -> bytes:
    return json.dumps({"run_id": run_id, "key": key, "value": value,
                       "timestamp": int(time.time() * 1000), "step": step}).encode()


def create_run(url: str, experiment_name: str) -> tuple[str, str]:
    """(experiment_id, run_id) of a new run in ``experiment_name`` (created if missing)."""
    c = RawClient(url)
    try:
        try:
            exp_id = c.call("GET", "experiments/get-by-name", {"experiment_name": experiment_name})[
                "experiment"]["experiment_id"]
        except HttpError:
            exp_id = c.call("POST", "experiments/create", {"name": experiment_name})["experiment_id"]
        run = c.call("POST", "runs/create", {"experiment_id": exp_id, "start_time": int(time.time() * 1000)})
        return exp_id, run["run"]["info"]["run_id"]
    finally:
        c.close()


def stored_steps(url: str, run_id: str, key: str) -> list[int]:
    """Every stored step of ``key`` in ``run_id`` (all pages of get-history), sorted."""
    c = RawClient(url, timeout=120)
    steps: list[int] = []
    token = None
    try:
        while True:
            q = {"run_id": run_id, "metric_key": key, "max_results": HISTORY_PAGE}
            if token:
                q["page_token"] = token
            page = c.call("GET", "metrics/get-history", q)
            steps.extend(int(m.get("step", 0)) for m in page.get("metrics", ()))
            token = page.get("next_page_token")
            if not token:
                return sorted(steps)
    finally:
        c.close()


def check_steps(url: str, run_id: str, key: str, expected: int) -> str | None:
    """None when ``key`` holds exactly steps 0..expected-1, else what is wrong."""
    steps = stored_steps(url, run_id, key)
    if steps == list(range(expected)):
        return None
    missing = len(set(range(expected)) - set(steps))
    return (f"run {run_id[:8]} key {key!r}: {len(steps)} points stored, {expected} acknowledged "
            f"({missing} missing, {len(steps) - len(set(steps))} duplicated)")


# -- client child processes ----------------------------------------------------------------------

def child_cmd(spec: dict[str, Any]) -> list[str]:
    return [PY, os.path.abspath(__file__), json.dumps(spec)]


def child_env() -> dict[str, str]:
    return server_env()


def run_child(spec: dict[str, Any], timeout: float, stderr_path: str) -> dict[str, Any]:
    with open(stderr_path, "ab") as err:
        try:
            proc = subprocess.run(child_cmd(spec), stdout=subprocess.PIPE, stderr=err, env=child_env(),
                                  timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return {"ok": False, "error": f"client child did not finish within {timeout:.0f} s"}
    return parse_child_output(proc.stdout.decode(errors="replace"), proc.returncode, stderr_path)


def parse_child_output(out: str, rc: int, stderr_path: str) -> dict[str, Any]:
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    if lines:
        return json.loads(lines[-1])
    with open(stderr_path, errors="replace") as f:
        tail = f.read()[-3000:]
    return {"ok": False, "error": f"client child exited {rc} without a result", "traceback": tail}


def run_load(specs: list[dict[str, Any]], duration: float, timeout: float, stderr_path: str,
             probe: Callable[[], float] | None = None) -> tuple[list[dict[str, Any]], float]:
    """Start one child per spec, wait until all are ready, start them together for ``duration`` s.
    Returns the children's results and how much ``probe()`` (e.g. server CPU seconds) grew meanwhile."""
    err = open(stderr_path, "ab")
    procs = [subprocess.Popen(child_cmd(s), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                              env=child_env(), text=True) for s in specs]
    err.close()
    try:
        deadline = time.monotonic() + timeout
        for p in procs:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or p.poll() is not None:
                    raise RuntimeError("a load client did not become ready (see " + stderr_path + ")")
                if select.select([p.stdout], [], [], min(left, 0.5))[0]:
                    if p.stdout.readline().strip() == "ready":
                        break
        t_go = time.time() + 0.05
        before = probe() if probe else 0.0
        for p in procs:
            p.stdin.write(f"go {t_go!r} {t_go + duration!r}\n")
            p.stdin.flush()
        results = []
        for p in procs:
            out, _ = p.communicate(timeout=max(1.0, deadline - time.monotonic()) + duration)
            results.append(parse_child_output(out, p.returncode, stderr_path))
        grown = probe() - before if probe else 0.0
        for r in results:
            r["t_go"] = t_go
        return results, grown
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def _percentiles(lat: list[float]) -> dict[str, float]:
    if not lat:
        return {}
    s = sorted(lat)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
    return {"p50_ms": pick(0.5) * 1e3, "p95_ms": pick(0.95) * 1e3, "p99_ms": pick(0.99) * 1e3,
            "mean_ms": sum(s) / len(s) * 1e3, "min_ms": s[0] * 1e3, "max_ms": s[-1] * 1e3}


def _metric_logger(client: str, url: str, run_id: str) -> Callable[[int], None]:
    """A function logging step ``i`` of metric ``m`` to ``run_id`` with the given client."""
    if client == "raw":
        c = RawClient(url)
        path = f"{API}/runs/log-metric"

        def log_raw(i: int) -> None:
            status, raw = c.send("POST", path, metric_body(run_id, "m", i * 0.5, i))
            if status != 200:
                raise HttpError(f"HTTP {status}: {raw[:200]!r}")
        return log_raw
    module = __import__(client)  # "mlflow" or "runyard": the system's own client
    mc = module.MlflowClient(url)
    return lambda i: mc.log_metric(run_id, "m", i * 0.5, step=i, synchronous=True)


def child_latency(spec: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    log = _metric_logger(spec["client"], spec["url"], spec["run_id"])
    setup_s = time.perf_counter() - t0
    warmup, n, max_s = spec["warmup"], spec["n"], spec.get("max_s")
    for i in range(warmup):
        log(i)
    lat = []
    perf = time.perf_counter
    t_stop = perf() + max_s if max_s else float("inf")
    for i in range(warmup, warmup + n):
        t = perf()
        log(i)
        t_done = perf()
        lat.append(t_done - t)
        if t_done > t_stop and len(lat) >= 50:
            break  # a slow server: fewer calls, reported as such
    edges = (0.5, 1, 2, 5, 10, 20, 40, 60, 100, 200)  # ms: shows a delayed-ACK (~40 ms) mode if any
    hist = {f"<{e}ms": sum(1 for x in lat if x * 1e3 < e and (i == 0 or x * 1e3 >= edges[i - 1]))
            for i, e in enumerate(edges)}
    hist[f">={edges[-1]}ms"] = sum(1 for x in lat if x * 1e3 >= edges[-1])
    return {"ok": True, "acknowledged": warmup + len(lat), "calls": len(lat), "warmup": warmup,
            "setup_s": setup_s, "histogram": hist, **_percentiles(lat)}


def child_load(spec: dict[str, Any]) -> dict[str, Any]:
    log = _metric_logger(spec["client"], spec["url"], spec["run_id"])
    log(0)  # connects (and, for the own clients, pays first-call costs) before the clock
    print("ready", flush=True)
    _, t_go, t_end = sys.stdin.readline().split()
    t_go, t_end = float(t_go), float(t_end)
    while time.time() < t_go:
        time.sleep(0.001)
    ok, errors, first_error, i = 1, 0, None, 1
    lat = []
    perf = time.perf_counter
    cpu0 = time.process_time()
    while time.time() < t_end:
        t = perf()
        try:
            log(i)
            ok += 1
            i += 1
        except Exception as e:  # noqa: BLE001 - counted and reported, never hidden
            errors += 1
            first_error = first_error or f"{type(e).__name__}: {e}"[:300]
            if errors >= 100:
                break
        lat.append(perf() - t)
    return {"ok": True, "acknowledged": ok, "timed_ok": ok - 1, "errors": errors, "first_error": first_error,
            "t_last": time.time(), "client_cpu_s": time.process_time() - cpu0, **_percentiles(lat)}


def child_batch(spec: dict[str, Any]) -> dict[str, Any]:
    run_id, max_batches, duration = spec["run_id"], spec["max_batches"], spec["duration"]
    ts = int(time.time() * 1000)
    bodies = [json.dumps({"run_id": run_id, "metrics": [
        {"key": f"k{k}", "value": (b * BATCH_STEPS + s) / 7.0, "timestamp": ts, "step": b * BATCH_STEPS + s}
        for k in range(BATCH_KEYS) for s in range(BATCH_STEPS)]}).encode() for b in range(max_batches)]
    c = RawClient(spec["url"], timeout=120)
    path = f"{API}/runs/log-batch"
    lat = []
    perf = time.perf_counter
    t0 = perf()
    for body in bodies:
        t = perf()
        status, raw = c.send("POST", path, body)
        if status != 200:
            raise HttpError(f"log-batch -> HTTP {status}: {raw[:300]!r}")
        lat.append(perf() - t)
        if perf() - t0 >= duration:
            break
    elapsed = perf() - t0
    batches = len(lat)
    return {"ok": True, "batches": batches, "points": batches * BATCH_KEYS * BATCH_STEPS, "elapsed_s": elapsed,
            "body_bytes": len(bodies[0]), **_percentiles(lat)}


CHILDREN = {"latency": child_latency, "load": child_load, "batch": child_batch}


def main() -> int:
    spec = json.loads(sys.argv[1])
    try:
        result = CHILDREN[spec["mode"]](spec)
    except BaseException as e:  # noqa: BLE001 - every failure goes back to the harness
        result = {"ok": False, "error": f"{type(e).__name__}: {e}"[:500], "traceback": traceback.format_exc()}
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
