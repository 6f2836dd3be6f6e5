"""Side-by-side tracking benchmark: runyard against stock MLflow (the pinned ``mlflow`` package).

    python bench/bench_tracking.py [--quick] [--only NAME[,NAME...]] [--json OUT]
                                   [--only-runyard | --only-mlflow] [--mlflow-scale-budget SECONDS]

Every workload runs once per library, each time in a fresh Python subprocess started in a fresh
temporary working directory whose SQLite file is that library's store, so no import, connection or
cache carries over. Only the measured section is timed; setup data is created before the timer and
every measured section's results are read back and checked (a wrong answer is a failure, not a
figure). See bench/README.md for how to read the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
CHILD = os.path.join(HERE, "workloads.py")
LIBS = ("mlflow", "runyard")
PY = sys.executable


@dataclass
class Workload:
    name: str
    title: str
    kind: str  # "rate": higher is better; "time": seconds, lower is better
    unit: str
    target: float | None  # the issue's minimum speedup of runyard over MLflow
    issue_ref: str  # MLflow's figure as the issue measured it on this machine
    child: str | None  # workload function in workloads.py (None: measured by the harness itself)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # per library, full size
    quick_div: int = 10
    fixture: int | None = None  # size of the prebuilt runs fixture it needs (full size)
    scale: bool = False  # runyard-first scale figure; MLflow only within a time budget
    projected_from: str | None = None  # workload whose MLflow result projects this one's cost


def _same(**kw: Any) -> dict[str, dict[str, Any]]:
    return {lib: dict(kw) for lib in LIBS}


def _scale(n: int) -> dict[str, dict[str, Any]]:
    """Scale rows: runyard median of 3; MLflow, when it runs at all, one timed call to fit its budget."""
    return {"mlflow": {"n": n, "repeats": 1}, "runyard": {"n": n, "repeats": 3}}


WORKLOADS = [
    Workload("import", "import X (python -c, median of 5)", "time", "s", 20, "1.4 s", None,
             _same(repeats=5), quick_div=1),
    Workload("log_metric", "log_metric(key, v, step=i), single calls", "rate", "calls/s", 25, "≈410 calls/s",
             "log_metric", {"mlflow": {"n": 2_000}, "runyard": {"n": 20_000}}),
    Workload("log_metrics", "log_metrics({100 keys}, step=i)", "rate", "points/s", 50, "≈5,400 points/s",
             "log_metrics", {"mlflow": {"steps": 200}, "runyard": {"steps": 3_000}}),
    Workload("runs", "runs w/ 5 params, 5 metrics, 2 tags", "rate", "runs/s", 25, "≈37 runs/s",
             "runs", {"mlflow": {"n": 200}, "runyard": {"n": 3_000}}),
    Workload("search_filtered", "search_runs filter+order, 5k runs (median of 3)", "time", "s", 30, "0.65 s",
             "search_filtered", _same(n=5_000, repeats=3), fixture=5_000),
    Workload("search_all_df", "search_runs all 5k runs -> DataFrame (median of 3)", "time", "s", 20, "3.0 s",
             "search_all_df", _same(n=5_000, repeats=3), fixture=5_000),
    Workload("metric_history", "get_metric_history, 200k points (median of 3)", "time", "s", 30, "6.8 s",
             "metric_history", _same(n=200_000, repeats=3)),
    Workload("search_filtered_50k", "search_runs filter+order, 50k runs", "time", "s", None, "-",
             "search_filtered", _scale(50_000), fixture=50_000, scale=True, projected_from="search_filtered"),
    Workload("search_all_df_50k", "search_runs all 50k runs -> DataFrame", "time", "s", None, "-",
             "search_all_df", _scale(50_000), fixture=50_000, scale=True, projected_from="search_all_df"),
    Workload("metric_history_1m", "get_metric_history, 1M points", "time", "s", None, "-",
             "metric_history", _scale(1_000_000), scale=True, projected_from="metric_history"),
]
BY_NAME = {w.name: w for w in WORKLOADS}
SIZE_KEYS = ("n", "steps")


# -- environment ---------------------------------------------------------------------------------

def lib_env(lib: str, workdir: str) -> dict[str, str]:
    """The child's environment: no inherited MLFLOW_*/RUNYARD_* settings, the library's SQLite store
    in ``workdir``, telemetry off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "RUNYARD_"))}
    env["PYTHONHASHSEED"] = "0"
    if lib == "mlflow":
        env["MLFLOW_TRACKING_URI"] = f"sqlite:///{workdir}/mlflow.db"
        env["MLFLOW_DISABLE_TELEMETRY"] = "true"
        env["DO_NOT_TRACK"] = "true"
    else:
        env["RUNYARD_TRACKING_URI"] = f"sqlite:///{workdir}/runyard.db"
    return env


class Harness:
    def __init__(self, root: str, quick: bool, verbose: bool) -> None:
        self.root = root
        self.quick = quick
        self.verbose = verbose
        self.fixtures: dict[tuple[str, int], dict[str, Any]] = {}
        self.counter = 0

    def fresh_dir(self, label: str) -> str:
        self.counter += 1
        d = os.path.join(self.root, f"{self.counter:02d}-{label}")
        os.makedirs(d)
        return d

    def params(self, w: Workload, lib: str) -> dict[str, Any]:
        p = dict(w.params[lib])
        if self.quick:
            for k in SIZE_KEYS:
                if k in p:
                    p[k] = max(1, p[k] // w.quick_div)
        return p

    def fixture_size(self, w: Workload) -> int | None:
        if w.fixture is None:
            return None
        return w.fixture // w.quick_div if self.quick else w.fixture

    # -- subprocess runs -----------------------------------------------------------------------

    def run_child(self, lib: str, workload: str, params: dict[str, Any], label: str,
                  fixture: str | None = None, timeout: float | None = None) -> dict[str, Any]:
        workdir = self.fresh_dir(f"{lib}-{label}")
        out = os.path.join(workdir, "_result.json")
        cmd = [PY, CHILD, "--lib", lib, "--workload", workload, "--params", json.dumps(params), "--out", out]
        if fixture:
            cmd += ["--fixture", fixture]
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=workdir, env=lib_env(lib, workdir), capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"ok": False, "kind": "timeout", "error": f"did not finish within {timeout:.0f} s",
                    "wall_s": time.perf_counter() - t0}
        wall = time.perf_counter() - t0
        if os.path.exists(out):
            with open(out) as f:
                res = json.load(f)
        else:
            res = {"ok": False, "kind": "crash", "error": f"child exited {proc.returncode} without a result",
                   "traceback": proc.stderr[-4000:]}
        res["wall_s"] = wall
        res["workdir"] = workdir
        if not res.get("ok") and proc.stderr and "traceback" not in res:
            res["traceback"] = proc.stderr[-4000:]
        return res

    def build_fixture(self, lib: str, n: int, timeout: float | None = None) -> dict[str, Any]:
        key = (lib, n)
        if key not in self.fixtures:
            log(f"    building {lib} fixture: {n:,} runs (create_run + log_batch; not timed)...")
            res = self.run_child(lib, "build_runs_fixture", {"n": n}, f"fixture-{n}", timeout=timeout)
            if res.get("ok"):
                log(f"    ... {res['elapsed_s']:.1f} s ({res['runs_per_s']:.0f} runs/s)")
            self.fixtures[key] = res
        return self.fixtures[key]

    def measure_import(self, lib: str, repeats: int) -> dict[str, Any]:
        workdir = self.fresh_dir(f"{lib}-import")
        env = lib_env(lib, workdir)

        def once(code: str) -> float:
            t0 = time.perf_counter()
            proc = subprocess.run([PY, "-c", code], cwd=workdir, env=env, capture_output=True, text=True)
            elapsed = time.perf_counter() - t0
            if proc.returncode != 0:
                raise RuntimeError(f"python -c {code!r} failed:\n{proc.stderr[-4000:]}")
            return elapsed

        try:
            once(f"import {lib}")  # warm-up: .pyc files exist for both libraries before timing
            times = [once(f"import {lib}") for _ in range(repeats)]
            baseline = statistics.median(once("pass") for _ in range(repeats))
        except RuntimeError as e:
            return {"ok": False, "kind": "error", "error": str(e).splitlines()[0], "traceback": str(e)}
        return {"ok": True, "value": statistics.median(times), "times": times,
                "python_startup_s": baseline, "n": repeats}

    def run_workload(self, w: Workload, lib: str, results: dict[str, Any], budget: float | None) -> dict[str, Any]:
        params = self.params(w, lib)
        if w.child is None:
            return self.measure_import(lib, params["repeats"])
        timeout = None
        if budget is not None:
            projected = self.project(w, lib, results)
            if projected is not None and projected > budget:
                return {"ok": False, "kind": "skipped",
                        "error": f"skipped: too slow (projected ~{projected:.0f} s > {budget:.0f} s budget)"}
            timeout = budget
        t_start = time.perf_counter()
        fixture_dir = None
        size = self.fixture_size(w)
        if size is not None:
            fx = self.build_fixture(lib, size, timeout=timeout)
            if not fx.get("ok"):
                if fx.get("kind") == "timeout":
                    return {"ok": False, "kind": "skipped",
                            "error": f"skipped: too slow (building the fixture {fx['error']})"}
                return {**fx, "error": f"fixture build failed: {fx.get('error')}"}
            fixture_dir = fx["workdir"]
        if timeout is not None:
            timeout = max(1.0, timeout - (time.perf_counter() - t_start))
        res = self.run_child(lib, w.child, params, w.name, fixture=fixture_dir, timeout=timeout)
        if res.get("kind") == "timeout" and budget is not None:
            res = {"ok": False, "kind": "skipped", "error": f"skipped: too slow (>{budget:.0f} s budget)"}
        if size is not None and res.get("ok"):
            res["fixture_build_s"] = self.fixtures[(lib, size)]["elapsed_s"]
        return res

    def project(self, w: Workload, lib: str, results: dict[str, Any]) -> float | None:
        """Seconds a scale workload would take (fixture build + measured calls), from the same library's
        result at the standard size, assuming linear cost."""
        base_w = BY_NAME.get(w.projected_from or "")
        base = results.get(w.projected_from or "", {}).get(lib)
        if base_w is None or not base or not base.get("ok"):
            return None
        params = self.params(w, lib)
        factor = params["n"] / self.params(base_w, lib)["n"]
        cost = base["value"] * params.get("repeats", 1) * factor
        cost += base.get("setup_s", 0) * factor
        size = self.fixture_size(w)
        if size is not None and (lib, size) not in self.fixtures:
            cost += base.get("fixture_build_s", 0) * factor
        return cost


# -- reporting -----------------------------------------------------------------------------------

def log(msg: str) -> None:
    print(msg, flush=True)


def fmt_value(w: Workload, res: dict[str, Any] | None) -> str:
    if res is None:
        return "-"
    if not res.get("ok"):
        kind = res.get("kind", "error")
        return "skipped: too slow" if kind == "skipped" else f"FAILED ({kind})"
    v = res["value"]
    if w.kind == "rate":
        return f"{v:,.0f} {w.unit}"
    return f"{v:.3f} s" if v < 10 else f"{v:.1f} s"


def speedup(w: Workload, ml: dict[str, Any] | None, ry: dict[str, Any] | None) -> float | None:
    if not (ml and ry and ml.get("ok") and ry.get("ok")):
        return None
    if w.kind == "rate":
        return ry["value"] / ml["value"]
    return ml["value"] / ry["value"] if ry["value"] > 0 else float("inf")


def size_label(h: Harness, w: Workload, libs: list[str]) -> str:
    if w.child is None:
        return f"x{h.params(w, libs[0])['repeats']}"
    sizes = []
    for lib in libs:
        p = h.params(w, lib)
        n = p.get("n", p.get("steps"))
        if "steps" in p:
            n = f"{p['steps']:,}x100"
        else:
            n = f"{n:,}"
        sizes.append(n)
    if len(set(sizes)) == 1:
        return sizes[0]
    return " / ".join(sizes)


def table(h: Harness, selected: list[Workload], results: dict[str, Any], libs: list[str]) -> str:
    header = ["workload", "size (mlflow / runyard)" if len(libs) == 2 else "size", "MLflow", "runyard",
              "speedup", "target", "result", "issue's MLflow ref"]
    rows = [header]
    for w in selected:
        ml = results.get(w.name, {}).get("mlflow")
        ry = results.get(w.name, {}).get("runyard")
        s = speedup(w, ml, ry)
        if w.target is None:
            target, verdict = "-", "(scale)"
            if ry is not None and not ry.get("ok"):
                verdict = "FAIL (runyard error)"
        else:
            target = f"{w.target:g}x"
            if ry is not None and not ry.get("ok"):
                verdict = "FAIL (runyard error)"
            elif ml is not None and not ml.get("ok"):
                verdict = "n/a (mlflow error)"
            elif s is None:
                verdict = "n/a"
            else:
                verdict = "PASS" if s >= w.target else "FAIL"
        rows.append([w.name, size_label(h, w, libs), fmt_value(w, ml), fmt_value(w, ry),
                     "-" if s is None else f"{s:,.1f}x", target, verdict, w.issue_ref])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    right = {2, 3, 4, 5}
    lines = []
    for j, r in enumerate(rows):
        cells = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(r)]
        lines.append(" | ".join(cells).rstrip())
        if j == 0:
            lines.append("-+-".join("-" * wd for wd in widths))
    return "\n".join(lines)


def lib_version(lib: str) -> str:
    try:
        from importlib.metadata import version
        return version(lib)
    except Exception:  # noqa: BLE001
        return "?"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="runyard vs MLflow tracking benchmark (see bench/README.md)")
    ap.add_argument("--quick", action="store_true", help="shrink every workload ~10x (smoke run)")
    ap.add_argument("--only", action="append", default=[],
                    help=f"run only these workloads (repeatable or comma-separated): {', '.join(BY_NAME)}")
    who = ap.add_mutually_exclusive_group()
    who.add_argument("--only-runyard", action="store_true", help="run runyard only (no MLflow, no ratios)")
    who.add_argument("--only-mlflow", action="store_true", help="run MLflow only (no ratios)")
    ap.add_argument("--json", metavar="OUT", help="write all results as JSON here")
    ap.add_argument("--mlflow-scale-budget", type=float, default=180.0, metavar="SECONDS",
                    help="time budget for MLflow on each scale workload, fixture included (default 180); "
                         "beyond it the cell reads 'skipped: too slow'")
    ap.add_argument("--keep", action="store_true", help="keep the temporary working directories")
    ap.add_argument("-v", "--verbose", action="store_true", help="print tracebacks of failures in full")
    args = ap.parse_args(argv)

    names = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        ap.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(BY_NAME)}")
    selected = [w for w in WORKLOADS if not names or w.name in names]
    libs = ["runyard"] if args.only_runyard else ["mlflow"] if args.only_mlflow else list(LIBS)

    root = tempfile.mkdtemp(prefix="runyard-bench-")
    h = Harness(root, args.quick, args.verbose)
    results: dict[str, dict[str, Any]] = {}
    failures = 0
    log(f"python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs; "
        + ", ".join(f"{lib} {lib_version(lib)}" for lib in libs)
        + (" [quick]" if args.quick else "") + f"; workdirs under {root}")
    t_all = time.perf_counter()
    try:
        for w in selected:
            results[w.name] = {}
            for lib in libs:
                budget = args.mlflow_scale_budget if (w.scale and lib == "mlflow") else None
                log(f"[{w.name}] {lib} ...")
                res = h.run_workload(w, lib, results, budget)
                results[w.name][lib] = res
                if res.get("ok"):
                    extra = f" (wall {res['wall_s']:.1f} s)" if "wall_s" in res else ""
                    log(f"[{w.name}] {lib}: {fmt_value(w, res)}{extra}")
                elif res.get("kind") == "skipped":
                    log(f"[{w.name}] {lib}: {res['error']}")
                else:
                    failures += 1
                    log(f"[{w.name}] {lib}: FAILED ({res.get('kind')}): {res.get('error')}")
                    if res.get("unverified"):
                        log(f"    (timing of the unverified result, not a figure: "
                            f"{fmt_value(w, {'ok': True, **res['unverified']})})")
                    tb = res.get("traceback", "")
                    if tb:
                        tb_lines = tb.rstrip().splitlines()
                        shown = tb_lines if args.verbose else tb_lines[-25:]
                        log("    " + "\n    ".join(shown))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    total = time.perf_counter() - t_all

    log("")
    log(table(h, selected, results, libs))
    log("")
    log("speedup = runyard rate / MLflow rate, or MLflow seconds / runyard seconds; "
        "target = the issue's minimum speedup; each figure is read back and verified.")
    log(f"total wall time {total:.0f} s")

    if args.json:
        payload = {
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "quick": args.quick,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "versions": {lib: lib_version(lib) for lib in libs},
            "total_wall_s": total,
            "workloads": [
                {
                    "name": w.name, "title": w.title, "kind": w.kind, "unit": w.unit, "target": w.target,
                    "issue_ref": w.issue_ref,
                    "params": {lib: h.params(w, lib) for lib in libs},
                    "speedup": speedup(w, results[w.name].get("mlflow"), results[w.name].get("runyard")),
                    "results": {lib: {k: v for k, v in r.items() if k != "workdir"}
                                for lib, r in results[w.name].items()},
                }
                for w in selected if w.name in results
            ],
        }
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(payload, f, indent=2)
        log(f"results written to {args.json}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
