"""Side-by-side server benchmark: ``runyard server`` against ``mlflow server``, same backend, same run.

    python bench/bench_server.py [--quick] [--only-runyard] [--json OUT] [--backend sqlite|postgresql]

Each system's server is started from its CLI as users run it (runyard: default 2 workers; MLflow:
default 4 uvicorn workers plus its job runner), on its own fresh database of the same kind, then
measured in turn: ready time, idle memory of the whole process tree, single-call log_metric latency,
8-client concurrent throughput, and log-batch throughput. Load comes from separate client processes
(bench/server_workloads.py); starting, measuring and stopping the servers' process trees is in
bench/server_procs.py. Every write workload is read back over the API and checked: a server that
acknowledges writes it did not store is reported as a failure, not a figure.
See bench/README.md ("Server benchmark") for how to read the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_report import log, speedup, version  # noqa: E402
import server_procs as sp  # noqa: E402
import server_workloads as sw  # noqa: E402

SYSTEMS = ("runyard", "mlflow")


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    better: str  # "lower" | "higher"
    target: tuple[str, float] | None  # ("max", limit on runyard's value) | ("ratio", min speedup); None: info
    ref: str = "-"  # MLflow's figure as measured here earlier


ROWS = [
    Row("ready_fresh", "ready time, fresh DB (spawn -> /health 200 + experiments/search ok)", "lower", ("max", 1.5)),
    Row("ready_restart", "ready time, restart on the existing DB", "lower", ("max", 1.5)),
    Row("idle_pss", "idle memory, PSS summed over the process tree", "lower", ("max", 200)),
    Row("idle_rss", "idle memory, VmRSS summed over the process tree", "lower", ("max", 200)),
    Row("lat_own", "log_metric latency p50 (p95), each system's own client", "lower", ("ratio", 20), "56 ms p50"),
    Row("lat_mlflow", "log_metric latency p50 (p95), stock mlflow client", "lower", None),
    Row("lat_raw", "log_metric latency p50 (p95), raw http.client", "lower", None),
    Row("load_raw", "concurrent log-metric, N raw keep-alive clients", "higher", ("ratio", 20), "82 req/s"),
    Row("load_own", "concurrent log-metric, N own-client processes", "higher", None),
    Row("batch", "log-batch of 1000 points, 1 raw client, sequential", "higher", ("ratio", 20), "≈5,100 points/s"),
    Row("loaded_pss", "memory after the load, PSS of the process tree", "lower", None),
]
UNITS = {"ready_fresh": "s", "ready_restart": "s", "idle_pss": "MiB", "idle_rss": "MiB", "loaded_pss": "MiB",
         "lat_own": "ms", "lat_mlflow": "ms", "lat_raw": "ms", "load_raw": "req/s", "load_own": "req/s",
         "batch": "points/s"}


@dataclass(frozen=True)
class Sizes:
    restarts: int
    warmup: int
    calls: int
    clients: int
    duration: float
    max_batches: int
    own_load: bool
    latency_max_s: float  # stop timing a latency client after this long (at least 50 calls)

    @staticmethod
    def of(quick: bool, clients: int, duration: float | None, restarts: int | None) -> "Sizes":
        if quick:
            return Sizes(restarts or 0, 5, 30, min(clients, 4), duration or 0.5, 10, False, 10.0)
        return Sizes(1 if restarts is None else restarts, 50, 500, clients, duration or 5.0, 500, True, 60.0)




# -- one system ----------------------------------------------------------------------------------

class SystemBench:
    def __init__(self, system: str, args: argparse.Namespace, sizes: Sizes, root: str) -> None:
        self.system, self.args, self.sizes = system, args, sizes
        self.workdir = os.path.join(root, system)
        os.makedirs(self.workdir)
        self.workers = args.runyard_workers if system == "runyard" else args.mlflow_workers
        self.ready_timeout = 60.0 if system == "runyard" else 300.0
        self.server: sp.Server | None = None
        self.res: dict[str, dict[str, Any]] = {}
        self.idle: dict[str, Any] = {}  # how the tree settled before the idle-memory reading
        self.failures = 0

    def path(self, name: str) -> str:
        return os.path.join(self.workdir, name)

    def record(self, key: str, res: dict[str, Any]) -> None:
        self.res[key] = res
        if res.get("ok"):
            extra = f"  [{res['note']}]" if res.get("note") else ""
            log(f"  {key:<13} {fmt(key, res)}{extra}")
        else:
            self.failures += 1
            log(f"  {key:<13} FAILED ({res.get('kind', 'error')}): {res.get('error')}")
            if res.get("traceback"):
                log("    " + "\n    ".join(res["traceback"].rstrip().splitlines()[-15:]))

    def start(self) -> dict[str, float]:
        self.server = sp.spawn_server(self.system, self.backend, self.path("artifacts"), self.workers,
                                      self.path("server.log"))
        return sp.wait_ready(self.server, self.ready_timeout)

    def stop(self) -> None:
        if self.server is not None:
            out = sp.stop_server(self.server)
            self.server = None
            if out["killed"]:
                log(f"  ({self.system}: {out['killed']} processes ignored SIGTERM and were killed)")

    def run(self) -> None:
        args, sz = self.args, self.sizes
        self.backend, self.drop_backend = sp.make_backend(self.system, args.backend, self.workdir, args.pg_url)
        cmd = sp.server_command(self.system, self.backend, "<dir>", "<port>", self.workers)
        log(f"[{self.system}] server: {' '.join(cmd)}")
        try:
            ready = self.start()
            self.record("ready_fresh", {"ok": True, "value": ready["ready_s"], **ready})
            restarts = []
            for _ in range(sz.restarts):
                self.stop()
                restarts.append(self.start())
            if restarts:
                median = sorted(restarts, key=lambda r: r["ready_s"])[len(restarts) // 2]
                self.record("ready_restart", {"ok": True, "value": median["ready_s"], **median, "all": restarts})
            self.few_requests()
            self.idle = sp.settle(self.server, 10.0 if self.args.quick else 60.0)
            log(f"  (settled after {self.idle['settle_s']:.1f} s: tree at {self.idle['idle_cpu_cores']:.2f} CPU cores"
                + ("" if self.idle["settled"] else ", still busy") + ")")
            self.memory("idle")
            self.latency()
            self.load("raw", "load_raw")
            if sz.own_load:
                self.load(self.system, "load_own")
            self.batch()
            time.sleep(0.5)
            self.memory("loaded")
        except Exception as e:  # noqa: BLE001 - a broken server is a result, the other system still runs
            self.record("server", {"ok": False, "kind": "error", "error": f"{type(e).__name__}: {e}",
                                   "traceback": traceback.format_exc()})
        finally:
            self.stop()
            self.drop_backend()

    def server_cpu(self) -> float:
        """CPU seconds used so far by the server's whole process tree."""
        return sp.tree_cpu_s(sp.process_tree(self.server.proc.pid))

    def few_requests(self) -> None:
        """A handful of ordinary calls before the idle-memory reading, so the workers are warm."""
        exp_id, run_id = sw.create_run(self.server.url, "bench-warm")
        c = sw.RawClient(self.server.url)
        try:
            for i in range(20):
                c.call("POST", "runs/log-metric", {"run_id": run_id, "key": "w", "value": i, "step": i,
                                                   "timestamp": int(time.time() * 1000)})
            c.call("POST", "runs/log-parameter", {"run_id": run_id, "key": "p", "value": "1"})
            c.call("GET", "runs/get", {"run_id": run_id})
            c.call("POST", "runs/search", {"experiment_ids": [exp_id], "max_results": 10})
        finally:
            c.close()

    def memory(self, when: str) -> None:
        mem = sp.tree_memory(self.server)
        if when == "idle":
            if mem["pss_mib"] is not None:
                self.record("idle_pss", {"ok": True, "value": mem["pss_mib"], **mem, **self.idle})
            self.record("idle_rss", {"ok": True, "value": mem["rss_mib"], **mem, **self.idle})
            for p in mem["per_process"]:
                log(f"      pid {p['pid']:>7}  rss {p['rss_mib']:6.1f} MiB  "
                    f"pss {p['pss_mib'] if p['pss_mib'] is None else round(p['pss_mib'], 1)} MiB  {p['cmd']}")
        else:
            value = mem["pss_mib"] if mem["pss_mib"] is not None else mem["rss_mib"]
            self.record("loaded_pss", {"ok": True, "value": value, "note": f"RSS {mem['rss_mib']:.0f} MiB", **mem})

    def latency(self) -> None:
        clients = [(self.system, "lat_own"), ("raw", "lat_raw")]
        if self.system == "runyard" and not self.args.only_runyard:
            clients.insert(1, ("mlflow", "lat_mlflow"))
        for client, key in clients:
            _, run_id = sw.create_run(self.server.url, "bench-latency")
            spec = {"mode": "latency", "client": client, "url": self.server.url, "run_id": run_id,
                    "n": self.sizes.calls, "warmup": self.sizes.warmup, "max_s": self.sizes.latency_max_s}
            res = sw.run_child(spec, 300, self.path("clients.err"))
            if res.get("ok"):
                res["value"] = res["p50_ms"]
                res["note"] = f"{client} client, {res['calls']} calls after {self.sizes.warmup} warm-up"
                self.verify(res, [(run_id, "m", res["acknowledged"])])
            self.record(key, res)
            if key == "lat_own" and self.system == "mlflow":
                self.res["lat_mlflow"] = res  # the stock client against its own server: the same figure

    def load(self, client: str, key: str) -> None:
        n, duration = self.sizes.clients, self.sizes.duration
        run_ids = [sw.create_run(self.server.url, "bench-load")[1] for _ in range(n)]
        specs = [{"mode": "load", "client": client, "url": self.server.url, "run_id": r} for r in run_ids]
        try:
            outs, server_cpu = sw.run_load(specs, duration, 300, self.path("clients.err"), self.server_cpu)
        except Exception as e:  # noqa: BLE001
            self.record(key, {"ok": False, "kind": "error", "error": str(e)})
            return
        bad = [o for o in outs if not o.get("ok")]
        if bad:
            self.record(key, {"ok": False, "kind": "error", "error": bad[0].get("error"),
                              "traceback": bad[0].get("traceback")})
            return
        window = max(o["t_last"] for o in outs) - outs[0]["t_go"]
        total = sum(o["timed_ok"] for o in outs)
        errors = sum(o["errors"] for o in outs)
        cpu_ms = 1e3 * server_cpu / max(total, 1)
        client_ms = 1e3 * sum(o["client_cpu_s"] for o in outs) / max(total, 1)
        p50 = sorted(o["p50_ms"] for o in outs)[n // 2]
        res = {"ok": True, "value": total / window, "requests": total, "window_s": window, "clients": n,
               "errors": errors, "per_client": outs, "p50_ms": p50, "server_cpu_s": server_cpu,
               "server_cpu_ms_per_request": cpu_ms, "client_cpu_ms_per_request": client_ms,
               "note": f"{n} x {client} client, {total:,} requests in {window:.2f} s (+1 warm-up each), "
                       f"median client p50 {p50:.2f} ms; CPU per request: server {cpu_ms:.2f} ms, "
                       f"client {client_ms:.2f} ms"}
        if errors:
            res.update(ok=False, kind="errors", error=f"{errors} failed requests, first: "
                       f"{next(o['first_error'] for o in outs if o['first_error'])}")
        else:
            self.verify(res, [(r, "m", o["acknowledged"]) for r, o in zip(run_ids, outs)])
        self.record(key, res)

    def batch(self) -> None:
        _, run_id = sw.create_run(self.server.url, "bench-batch")
        spec = {"mode": "batch", "url": self.server.url, "run_id": run_id, "duration": self.sizes.duration,
                "max_batches": self.sizes.max_batches}
        cpu0 = self.server_cpu()
        res = sw.run_child(spec, 600, self.path("clients.err"))
        server_cpu = self.server_cpu() - cpu0  # includes the child's start-up (the server idles then)
        if res.get("ok"):
            res["value"] = res["points"] / res["elapsed_s"]
            res["server_cpu_ms_per_batch"] = 1e3 * server_cpu / max(res["batches"], 1)
            res["note"] = (f"{res['batches']} batches ({res['body_bytes'] // 1024} KiB each) in "
                           f"{res['elapsed_s']:.2f} s, p50 {res['p50_ms']:.1f} ms per batch, "
                           f"server CPU {res['server_cpu_ms_per_batch']:.1f} ms per batch")
            per_key = res["batches"] * sw.BATCH_STEPS
            self.verify(res, [(run_id, f"k{k}", per_key) for k in range(sw.BATCH_KEYS)])
        self.record("batch", res)

    def verify(self, res: dict[str, Any], expected: list[tuple[str, str, int]]) -> None:
        """Read every (run, key) history back; a difference from what was acknowledged fails the figure."""
        problems = [p for p in (sw.check_steps(self.server.url, r, k, n) for r, k, n in expected) if p]
        stored = sum(n for _, _, n in expected)
        if problems:
            res.update(ok=False, kind="verification", error=f"{len(problems)} histories differ; {problems[0]}")
        else:
            res["verified"] = f"{stored:,} points acknowledged = stored"
            res["note"] = (res.get("note", "") + f"; verified {stored:,} stored").lstrip("; ")


# -- reporting -----------------------------------------------------------------------------------

def fmt(key: str, res: dict[str, Any] | None) -> str:
    if res is None:
        return "-"
    if not res.get("ok"):
        return f"FAILED ({res.get('kind', 'error')})"
    v, unit = res["value"], UNITS[key]
    if unit == "ms":
        return f"{v:.2f} ms (p95 {res['p95_ms']:.2f})" if v < 10 else f"{v:.1f} ms (p95 {res['p95_ms']:.1f})"
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
        target = f"runyard <= {limit:g} {UNITS[row.key]}"
        if ry is None:
            return target, "n/a"
        if not ry.get("ok"):
            return target, "FAIL (runyard error)"
        return target, "PASS" if ry["value"] <= limit else "FAIL"
    target = f">= {limit:g}x"
    s = speedup(row, ml, ry)
    if ry is not None and not ry.get("ok"):
        return target, "FAIL (runyard error)"
    if s is None:
        return target, "n/a"
    return target, "PASS" if s >= limit else "FAIL"


def table(results: dict[str, dict[str, dict[str, Any]]], systems: list[str], clients: int) -> str:
    header = ["workload", "MLflow", "runyard", "speedup", "target", "result", "earlier MLflow ref"]
    rows = [header]
    for row in ROWS:
        ml, ry = results.get("mlflow", {}).get(row.key), results.get("runyard", {}).get(row.key)
        if ml is None and ry is None:
            continue
        s = speedup(row, ml, ry)
        target, result = verdict(row, ml, ry)
        rows.append([row.title.replace("N ", f"{clients} "), fmt(row.key, ml) if "mlflow" in systems else "-",
                     fmt(row.key, ry), "-" if s is None else f"{s:,.1f}x", target, result, row.ref])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for j, r in enumerate(rows):
        cells = [c.rjust(widths[i]) if i in (1, 2, 3) else c.ljust(widths[i]) for i, c in enumerate(r)]
        lines.append(" | ".join(cells).rstrip())
        if j == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)




def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="runyard server vs mlflow server (see bench/README.md)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, no restart, no own-client load (smoke run)")
    ap.add_argument("--only-runyard", action="store_true", help="runyard only: no MLflow server or client, no ratios")
    ap.add_argument("--json", metavar="OUT", help="write all results as JSON here (bench/results/ is git-ignored)")
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite",
                    help="backend kind for both servers, a fresh database each (default sqlite)")
    ap.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test",
                    help="PostgreSQL server to create the two databases on (--backend postgresql)")
    ap.add_argument("--clients", type=int, default=8, help="concurrent client processes (default 8)")
    ap.add_argument("--duration", type=float, help="seconds per throughput run (default 5; quick 0.5)")
    ap.add_argument("--restarts", type=int, help="restarts on the existing DB for the restart ready time "
                                                   "(median; default 1, quick 0)")
    ap.add_argument("--runyard-workers", type=int, help="runyard --workers (default: its own default, 2)")
    ap.add_argument("--mlflow-workers", type=int, help="mlflow --workers (default: its own default, 4)")
    ap.add_argument("--order", choices=("runyard-first", "mlflow-first"), default="runyard-first")
    ap.add_argument("--keep", action="store_true", help="keep the working directory (server logs, databases)")
    args = ap.parse_args(argv)
    sizes = Sizes.of(args.quick, args.clients, args.duration, args.restarts)
    systems = ["runyard"] if args.only_runyard else list(SYSTEMS)
    if args.order == "mlflow-first":
        systems.reverse()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops the servers
    root = tempfile.mkdtemp(prefix="runyard-server-bench-")
    load_before = os.getloadavg()
    log(f"python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs, "
        f"load {load_before[0]:.1f}; " + ", ".join(f"{s} {version(s)}" for s in systems)
        + f"; backend {args.backend}; {sizes}" + (" [quick]" if args.quick else "") + f"; workdir {root}")
    results: dict[str, dict[str, dict[str, Any]]] = {}
    failures = 0
    t_all = time.perf_counter()
    try:
        for system in systems:
            bench = SystemBench(system, args, sizes, root)
            try:
                bench.run()
            finally:
                bench.stop()
            results[system] = bench.res
            failures += bench.failures
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    total = time.perf_counter() - t_all
    load_after = os.getloadavg()

    log("")
    log(table(results, systems, sizes.clients))
    log("")
    log("speedup = MLflow / runyard for times, latencies and memory; runyard / MLflow for rates. Memory: "
        "PSS from /proc/<pid>/smaps_rollup and VmRSS from /proc/<pid>/status, summed over the server and "
        "every descendant. Every write figure was read back over the API (acknowledged = stored).")
    log(f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after; total wall time {total:.0f} s")
    if args.json:
        payload = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "quick": args.quick, "backend": args.backend,
                   "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                   "loadavg_before": load_before, "loadavg_after": load_after, "total_wall_s": total,
                   "versions": {s: version(s) for s in systems}, "sizes": sizes.__dict__,
                   "workers": {"runyard": args.runyard_workers or "default (2)",
                               "mlflow": args.mlflow_workers or "default (4)"},
                   "memory_measure": "pss_mib: sum of Pss (smaps_rollup); rss_mib: sum of VmRSS",
                   "rows": [{"key": r.key, "title": r.title, "target": r.target, "ref": r.ref,
                             "speedup": speedup(r, results.get("mlflow", {}).get(r.key),
                                                results.get("runyard", {}).get(r.key)),
                             "result": verdict(r, results.get("mlflow", {}).get(r.key),
                                               results.get("runyard", {}).get(r.key))[1]} for r in ROWS],
                   "results": results}
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(payload, f, indent=2, default=str)
        log(f"results written to {args.json}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
