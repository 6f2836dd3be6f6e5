"""Side-by-side scoring benchmark: ``runyard models serve`` against ``mlflow models serve``, same model.

    python bench/bench_scoring.py [--quick] [--only-runyard] [--model linear|forest] [--json OUT]

One scikit-learn model is fitted here on a housing-like table (8 named float columns) and saved by
each library's ``sklearn.save_model`` into its own directory (bench/scoring_model.py). Each system
serves its directory from its CLI with ``--env-manager local``: runyard with 1 worker, MLflow with
its default (1 uvicorn worker, exec'd by the ``mlflow`` CLI process, which stays as its parent).

The servers start one after the other. For each: ready time (spawn until ``GET /ping`` answers
200), the first ``/invocations``, and the memory of its whole process tree (PSS and VmRSS) once it is
idle. Then the client times 1-row and 100-row ``dataframe_split`` requests on one keep-alive HTTP/1.1
connection per server (bench/scoring_client.py), in interleaved blocks: a block of requests to one
server, then the same to the other, alternating which goes first. Only one server is ever busy (the
client waits for each answer), and both meet the same background load on a shared machine. Last,
the memory of each tree after the load. Every answer is compared with the fitted model's own
predictions for the same rows: a wrong answer is a failure, never a figure.

Exit status 1 when a server failed or answered wrongly; a missed target does not change it.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scoring_client as sc  # noqa: E402
import scoring_model as sm  # noqa: E402
from bench_report import log, speedup, version  # noqa: E402
import server_procs as sp  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSTEMS = ("runyard", "mlflow")


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    unit: str
    better: str  # "lower" | "higher"
    target: tuple[str, float] | None  # ("max", limit on runyard's value) | ("ratio", min speedup); None: info
    ref: str = "-"  # MLflow's figure as the issue measured it on this machine


ROWS = [
    Row("ready", "ready: spawn -> first GET /ping 200", "s", "lower", ("max", 2.0), "7.6 s"),
    Row("first_call", "first /invocations after ready, 1 row", "ms1", "lower", None),
    Row("ready_rss", "memory once ready, VmRSS of the process tree", "MiB", "lower", ("ratio", 2.0), "536 MiB"),
    Row("ready_pss", "memory once ready, PSS of the process tree", "MiB", "lower", ("ratio", 2.0)),
    Row("lat1", "1-row /invocations latency p50 (p90, p99), 1 keep-alive conn", "ms", "lower", ("ratio", 5.0), "5.4 ms"),
    Row("rps1", "1-row requests/s on that one keep-alive connection", "req/s", "higher", ("ratio", 5.0), "173 req/s"),
    Row("cpu1", "server CPU time per 1-row request", "cpu", "lower", None),
    Row("lat100", "100-row /invocations latency p50 (p90, p99)", "ms", "lower", None),
    Row("loaded_rss", "memory after the load, VmRSS of the process tree", "MiB", "lower", ("ratio", 2.0)),
    Row("loaded_pss", "memory after the load, PSS of the process tree", "MiB", "lower", ("ratio", 2.0)),
]


@dataclass(frozen=True)
class Sizes:
    warmup: int
    requests: int  # timed 1-row requests per server
    batch_warmup: int
    batch_requests: int  # timed 100-row requests per server
    blocks: int  # interleaved blocks the timed requests are split into
    settle_s: float  # longest wait for the tree to go idle before the "ready" memory reading

    @staticmethod
    def of(quick: bool, requests: int | None) -> "Sizes":
        if quick:
            return Sizes(20, requests or 200, 5, 20, 4, 3.0)
        return Sizes(200, requests or 2000, 20, 200, 10, 15.0)




@dataclass
class Timing:
    """One server's timed requests of one kind, gathered over the interleaved blocks."""

    lat: list[float] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)  # every answer, warm-up included, for the check
    index: list[int] = field(default_factory=list)  # which request each answer is to
    elapsed: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    error: str | None = None


# -- one system ----------------------------------------------------------------------------------

def serve_command(system: str, model_dir: str, port: int | str, workers: int | None) -> list[str]:
    cmd = [os.path.join(sp.BIN, system), "models", "serve", "-m", model_dir, "-p", str(port), "-h", "127.0.0.1",
           "--env-manager", "local"]
    return cmd + (["-w", str(workers)] if workers else [])


class ScoringBench:
    """One system's server, its keep-alive connection and its results."""

    def __init__(self, system: str, workers: int | None, sizes: Sizes, workdir: str, requests: dict[str, Any]) -> None:
        self.system, self.workers, self.sizes, self.workdir = system, workers, sizes, workdir
        self.model_dir = os.path.join(workdir, f"{system}-model")
        self.port = sp.free_port()
        self.reqs = sm.with_headers(requests, self.port)
        self.server: sp.Server | None = None
        self.client: sc.KeepAliveClient | None = None
        self.timings: dict[str, Timing] = {}
        self.res: dict[str, dict[str, Any]] = {}
        self.failures = 0
        self.alive = False

    def record(self, key: str, res: dict[str, Any]) -> None:
        self.res[key] = res
        if res.get("ok"):
            extra = f"  [{res['note']}]" if res.get("note") else ""
            log(f"  [{self.system}] {key:<11} {fmt(key, res)}{extra}")
        else:
            self.failures += 1
            log(f"  [{self.system}] {key:<11} FAILED ({res.get('kind', 'error')}): {res.get('error')}")
            if res.get("traceback"):
                log("    " + "\n    ".join(res["traceback"].rstrip().splitlines()[-15:]))

    def fail(self, exc: BaseException) -> None:
        self.alive = False
        self.record("server", {"ok": False, "kind": "error", "error": f"{type(exc).__name__}: {exc}",
                               "traceback": traceback.format_exc()})

    # start, readiness, memory, stop

    def start(self) -> None:
        """Spawn, wait for /ping, answer one request, settle, read the idle memory."""
        log(f"[{self.system}] " + " ".join(serve_command(self.system, "<model dir>", "<port>", self.workers)))
        try:
            self.spawn()
            self.record("ready", {"ok": True, "value": self.wait_ping(180.0)})
            self.alive = True
            self.first_call()
            idle = sp.settle(self.server, self.sizes.settle_s)
            log(f"  [{self.system}] (settled after {idle['settle_s']:.1f} s: tree at {idle['idle_cpu_cores']:.2f} "
                "CPU cores" + ("" if idle["settled"] else ", still busy") + ")")
            self.memory("ready", idle)
        except Exception as e:  # noqa: BLE001 - a broken server is a result, the other system still runs
            self.fail(e)

    def spawn(self) -> None:
        env = sp.server_env()
        env["PATH"] = sp.BIN + os.pathsep + env.get("PATH", "")  # MLflow execs `uvicorn` from PATH
        log_path = os.path.join(self.workdir, f"{self.system}-server.log")
        log_file = open(log_path, "ab")
        t0 = time.perf_counter()
        proc = subprocess.Popen(serve_command(self.system, self.model_dir, self.port, self.workers), stdout=log_file,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=self.workdir,
                                start_new_session=True, preexec_fn=sp._term_with_parent)
        log_file.close()
        self.server = sp.Server(self.system, proc, f"http://127.0.0.1:{self.port}", t0, log_path)

    def wait_ping(self, timeout: float) -> float:
        """Seconds from spawn until GET /ping answers 200 (polled every 10 ms)."""
        srv = self.server
        while True:
            if srv.proc.poll() is not None:
                raise RuntimeError(f"{self.system} server exited with {srv.proc.returncode}:\n{srv.log_tail()}")
            if time.perf_counter() - srv.t_spawn > timeout:
                raise RuntimeError(f"{self.system} server not ready within {timeout:.0f} s:\n{srv.log_tail()}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", "/ping")
                resp = conn.getresponse()
                resp.read()
                if resp.status == 200:
                    return time.perf_counter() - srv.t_spawn
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            time.sleep(0.01)

    def first_call(self) -> None:
        client = sc.KeepAliveClient("127.0.0.1", self.port)
        try:
            t0 = time.perf_counter()
            status, body = client.send(self.reqs["one"]["raw"][0])
            elapsed = time.perf_counter() - t0
        finally:
            client.close()
        res = {"ok": status == 200, "value": elapsed * 1e3}
        if status != 200:
            res.update(kind="error", error=f"HTTP {status}: {body[:300]!r}")
        else:
            self.verify(res, [body], [0], self.reqs["one"]["expected"])
        self.record("first_call", res)

    def memory(self, when: str, idle: dict[str, Any]) -> None:
        mem = sp.tree_memory(self.server)
        for kind in ("rss", "pss"):
            if mem[f"{kind}_mib"] is not None:
                self.record(f"{when}_{kind}", {"ok": True, "value": mem[f"{kind}_mib"], **mem, **idle})
        if when == "ready":
            for p in mem["per_process"]:
                log(f"      pid {p['pid']:>7}  rss {p['rss_mib']:6.1f} MiB  "
                    f"pss {p['pss_mib'] if p['pss_mib'] is None else round(p['pss_mib'], 1)} MiB  {p['cmd']}")

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.server is not None:
            out = sp.stop_server(self.server)
            self.server = None
            if out["killed"]:
                log(f"  ({self.system}: {out['killed']} processes ignored SIGTERM and were killed)")

    def server_cpu(self) -> float:
        return sp.tree_cpu_s(sp.process_tree(self.server.proc.pid))

    # timed requests

    def warm(self, key: str, which: str, n: int) -> None:
        """``n`` untimed requests; their answers are checked with the timed ones."""
        t = self.timings[key] = Timing()
        raws = self.reqs[which]["raw"]
        if self.client is None:
            self.client = sc.KeepAliveClient("127.0.0.1", self.port)  # one connection for all timed requests
        self.client.reopen_if_closed()
        for i in range(n):
            status, body = self.client.send(raws[i % len(raws)])
            if status != 200:
                t.error = f"warm-up request {i}: HTTP {status}: {body[:300]!r}"
                return
            t.bodies.append(body)
            t.index.append(i % len(raws))

    def block(self, key: str, which: str, first: int, n: int) -> None:
        """Requests ``first`` .. ``first + n - 1`` (cycling over the distinct bodies), timed one by one."""
        t = self.timings[key]
        raws = self.reqs[which]["raw"]
        self.client.reopen_if_closed()
        cpu0 = self.server_cpu()
        gc.collect()
        gc.disable()  # the client's own pauses are not the server's latency
        try:
            proc0 = time.process_time()
            start = time.perf_counter()
            for i in range(first, first + n):
                k = i % len(raws)
                t0 = time.perf_counter()
                status, body = self.client.send(raws[k])
                t.lat.append(time.perf_counter() - t0)
                if status != 200:
                    t.error = f"request {len(t.lat)}: HTTP {status}: {body[:300]!r}"
                    break
                t.bodies.append(body)
                t.index.append(k)
            t.elapsed += time.perf_counter() - start
            t.client_cpu += time.process_time() - proc0
        finally:
            gc.enable()
        t.server_cpu += self.server_cpu() - cpu0

    def finish(self, key: str, which: str, warmup: int) -> None:
        """The figures of ``key`` from its blocks, once every answer has been checked."""
        t = self.timings[key]
        if t.error:
            self.record(key, {"ok": False, "kind": "error", "error": t.error})
            return
        n = len(t.lat)
        res = {"ok": True, **sc.percentiles(t.lat), "requests": n, "warmup": warmup, "elapsed_s": t.elapsed,
               "reconnects_between_blocks": self.client.reopened,
               "requests_per_s": n / t.elapsed, "server_cpu_ms_per_request": 1e3 * t.server_cpu / n,
               "client_cpu_ms_per_request": 1e3 * t.client_cpu / n, "body_bytes": len(self.reqs[which]["raw"][0])}
        res["value"] = res["p50_ms"]
        res["note"] = (f"{n} requests after {warmup} warm-up, {res['body_bytes']:,} B each; server CPU "
                       f"{res['server_cpu_ms_per_request']:.2f} ms/request, client "
                       f"{res['client_cpu_ms_per_request']:.3f} ms")
        if self.client.reopened:
            res["note"] += f"; connection reopened {self.client.reopened}x between blocks (idle timeout)"
        self.verify(res, t.bodies, t.index, self.reqs[which]["expected"])
        self.record(key, res)
        if key == "lat1" and res["ok"]:
            self.record("rps1", {"ok": True, "value": res["requests_per_s"], "requests": n, "elapsed_s": t.elapsed,
                                 "verified": res["verified"]})
            self.record("cpu1", {"ok": True, "value": res["server_cpu_ms_per_request"], "server_cpu_s": t.server_cpu,
                                 "note": f"whole process tree, over the {n} timed requests"})

    def verify(self, res: dict[str, Any], bodies: list[bytes], index: list[int], expected: list[Any]) -> None:
        check = sc.check_predictions(bodies, index, expected)
        res["check"] = {k: v for k, v in check.items() if k != "problems"} | {"problems": check["problems"][:5]}
        if check["problems"]:
            res.update(ok=False, kind="verification",
                       error=f"{len(check['problems'])} of {check['checked']} answers wrong; {check['problems'][0]}")
        else:
            res["verified"] = f"{check['checked']} answers = local predictions ({check['bitwise_equal']} bitwise)"
            res["note"] = (res.get("note", "") + f"; verified {check['checked']} answers").lstrip("; ")


def interleaved(benches: list[ScoringBench], key: str, which: str, warmup: int, n: int, blocks: int) -> None:
    """``n`` timed requests per server in ``blocks`` blocks, alternating servers block by block (and
    which goes first), so that a change in the machine's load lands on both."""
    live = [b for b in benches if b.alive]
    for b in live:
        try:
            b.warm(key, which, warmup)
        except Exception as e:  # noqa: BLE001
            b.fail(e)
    sizes = [n // blocks + (1 if j < n % blocks else 0) for j in range(blocks)]
    first = warmup
    for j, size in enumerate(sizes):
        for b in (live if j % 2 == 0 else live[::-1]):
            if b.alive and not b.timings[key].error:
                try:
                    b.block(key, which, first, size)
                except Exception as e:  # noqa: BLE001 - a dropped connection or a dead server
                    b.fail(e)
        first += size
    for b in live:
        if b.alive:
            b.finish(key, which, warmup)


# -- reporting -----------------------------------------------------------------------------------

ROW_BY_KEY = {r.key: r for r in ROWS}


def fmt(key: str, res: dict[str, Any] | None) -> str:
    if res is None:
        return "-"
    if not res.get("ok"):
        return f"FAILED ({res.get('kind', 'error')})"
    v, unit = res["value"], ROW_BY_KEY[key].unit
    if unit == "ms":
        return f"{v:.2f} ms ({res['p90_ms']:.2f}, {res['p99_ms']:.2f})"
    if unit == "ms1":
        return f"{v:.1f} ms"
    if unit == "cpu":
        return f"{v:.2f} ms"
    if unit == "s":
        return f"{v:.2f} s"
    if unit == "MiB":
        return f"{v:,.0f} MiB ({res['processes']} procs)"
    return f"{v:,.0f} {unit}"




def verdict(row: Row, ml: dict[str, Any] | None, ry: dict[str, Any] | None) -> tuple[str, str]:
    if row.target is None:
        return "-", "(info)"
    kind, limit = row.target
    if kind == "max":
        target = f"runyard <= {limit:g} {row.unit}"
        if ry is None:
            return target, "n/a"
        if not ry.get("ok"):
            return target, "FAIL (runyard error)"
        return target, "PASS" if ry["value"] <= limit else "FAIL"
    target = f">= {limit:g}x" + (f" (<= 1/{limit:g})" if row.better == "lower" else "")
    if ry is not None and not ry.get("ok"):
        return target, "FAIL (runyard error)"
    s = speedup(row, ml, ry)
    if s is None:
        return target, "n/a"
    return target, "PASS" if s >= limit else "FAIL"


def table(results: dict[str, dict[str, dict[str, Any]]], systems: list[str]) -> str:
    header = ["workload", "MLflow", "runyard", "speedup", "target", "result", "issue's MLflow ref"]
    rows = [header]
    for row in ROWS:
        ml, ry = results.get("mlflow", {}).get(row.key), results.get("runyard", {}).get(row.key)
        if ml is None and ry is None:
            continue
        s = speedup(row, ml, ry)
        target, result = verdict(row, ml, ry)
        rows.append([row.title, fmt(row.key, ml) if "mlflow" in systems else "-", fmt(row.key, ry),
                     "-" if s is None else f"{s:,.1f}x", target, result, row.ref])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for j, r in enumerate(rows):
        cells = [c.rjust(widths[i]) if i in (1, 2, 3) else c.ljust(widths[i]) for i, c in enumerate(r)]
        lines.append(" | ".join(cells).rstrip())
        if j == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)




def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="runyard models serve vs mlflow models serve, same model, same run")
    ap.add_argument("--quick", action="store_true", help="200 + 20 timed requests instead of 2000 + 200 (smoke run)")
    ap.add_argument("--only-runyard", action="store_true", help="runyard only: no MLflow, no ratios")
    ap.add_argument("--model", choices=("linear", "forest"), default="linear",
                    help="LinearRegression (default) or a 50-tree RandomForestRegressor")
    ap.add_argument("--format", choices=("skops", "cloudpickle", "pickle"), default="skops",
                    help="serialization_format given to both save_model calls (default skops, both defaults)")
    ap.add_argument("--requests", type=int, help="timed 1-row requests per server (default 2000, quick 200)")
    ap.add_argument("--runyard-workers", type=int, default=1, help="runyard -w (default 1)")
    ap.add_argument("--mlflow-workers", type=int, help="mlflow -w (default: its own default, 1)")
    ap.add_argument("--order", choices=("runyard-first", "mlflow-first"), default="runyard-first",
                    help="which server starts first (and takes the first timed block)")
    ap.add_argument("--json", metavar="OUT", help="results JSON (default bench/results/scoring-<time>.json)")
    ap.add_argument("--keep", action="store_true", help="keep the working directory (models, server logs)")
    ap.add_argument("--save", nargs=5, metavar=("LIB", "FORMAT", "PICKLE", "SAMPLE", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.save:
        sm.save_child(*args.save)
        return 0
    sizes = Sizes.of(args.quick, args.requests)
    systems = ["runyard"] if args.only_runyard else list(SYSTEMS)
    if args.order == "mlflow-first":
        systems.reverse()
    out_json = args.json or os.path.join(ROOT, "bench", "results", f"scoring-{time.strftime('%Y%m%d-%H%M%S')}.json")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops the servers
    root = tempfile.mkdtemp(prefix="runyard-scoring-bench-")
    load_before = os.getloadavg()
    log(f"python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs, load "
        f"{load_before[0]:.1f}; " + ", ".join(f"{s} {version(s)}" for s in systems)
        + f", scikit-learn {version('scikit-learn')}; model {args.model} ({args.format}); {sizes}; workdir {root}")
    results: dict[str, dict[str, dict[str, Any]]] = {}
    failures = 0
    t_all = time.perf_counter()
    benches: list[ScoringBench] = []
    try:
        reqs, saved = sm.prepare(args.model, args.format, systems, root, os.path.abspath(__file__))
        for system in systems:
            log(f"[{system}] {system}.sklearn.save_model in {saved[system]:.2f} s")
        for system in systems:
            workers = args.runyard_workers if system == "runyard" else args.mlflow_workers
            benches.append(ScoringBench(system, workers, sizes, root, reqs))
        for bench in benches:
            bench.start()
        log(f"timing: 1-row, then 100-row requests in {sizes.blocks} interleaved blocks per server")
        interleaved(benches, "lat1", "one", sizes.warmup, sizes.requests, sizes.blocks)
        interleaved(benches, "lat100", "batch", sizes.batch_warmup, sizes.batch_requests, sizes.blocks)
        time.sleep(0.5)
        for bench in benches:
            if bench.alive:
                bench.memory("loaded", {})
    finally:
        for bench in benches:
            bench.stop()
            results[bench.system] = bench.res
            failures += bench.failures
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    total = time.perf_counter() - t_all
    load_after = os.getloadavg()

    log("")
    log(table(results, systems))
    log("")
    log("speedup = MLflow / runyard for times, latencies and memory; runyard / MLflow for requests/s. Latency "
        "cells: p50 (p90, p99). Memory: PSS from /proc/<pid>/smaps_rollup and VmRSS from /proc/<pid>/status, "
        "summed over the server and every descendant. Every answer was checked against the fitted model's "
        f"own predictions. Workers: runyard {args.runyard_workers}, MLflow {args.mlflow_workers or 'default (1)'}.")
    log(f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after; total wall time {total:.0f} s")
    payload = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "quick": args.quick, "model": args.model,
               "serialization_format": args.format, "python": platform.python_version(),
               "platform": platform.platform(), "cpus": os.cpu_count(), "loadavg_before": load_before,
               "loadavg_after": load_after, "total_wall_s": total,
               "versions": {s: version(s) for s in [*systems, "scikit-learn"]}, "sizes": sizes.__dict__,
               "workers": {"runyard": args.runyard_workers, "mlflow": args.mlflow_workers or "default (1)"},
               "save_model_s": saved if "saved" in locals() else {},
               "memory_measure": "pss_mib: sum of Pss (smaps_rollup); rss_mib: sum of VmRSS",
               "rows": [{"key": r.key, "title": r.title, "target": r.target, "ref": r.ref,
                         "speedup": speedup(r, results.get("mlflow", {}).get(r.key), results.get("runyard", {}).get(r.key)),
                         "result": verdict(r, results.get("mlflow", {}).get(r.key),
                                           results.get("runyard", {}).get(r.key))[1]} for r in ROWS],
               "results": results}
    os.makedirs(os.path.dirname(os.path.abspath(out_json)), exist_ok=True)
    with open(out_json, "w") as f:
        json.dump(payload, f, indent=2, default=str)
    log(f"results written to {out_json}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
