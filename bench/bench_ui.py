"""The web UI with many runs: runyard's UI against MLflow's UI, same data, same browser, one run.

    python bench/bench_ui.py [--runs 100000 --params 20 --metrics 20 --long-series 1000000]
    python bench/bench_ui.py --quick                         # 2,000 runs, a 20,000-point series
    python bench/bench_ui.py --only-runyard --json bench/results/ui.json

Data: ``bench/seed_ui_data.py`` seeds a runyard SQLite store (one experiment of N runs x P params x M
metrics, plus one run with a long metric series); ``bench/seed_mlflow_ui_data.py`` copies that file
into a fresh MLflow SQLite store, so both UIs show the same run ids, names and values. The seeded
pair is kept under ``bench/results/ui-data/`` and reused by later runs of the same sizes.

Each system's server starts from its own CLI with its defaults (``runyard server`` /
``mlflow server``), one at a time, and is driven by the system's Chromium (/usr/bin/chromium)
through Playwright, in one browser context per system (a first, untimed visit loads each UI's code).
Every figure is the wall time seen from the driver, from the action to the moment the page shows
the expected answer, verified against the store:

- ``first rows``: ``page.goto(experiment URL)`` until the first row is the newest run (median of
  the warm visits; the first, cold visit is reported on its own line).
- ``sort ↓`` / ``sort ↑``: the click that sorts by a metric (runyard: its column header, clicked
  twice; MLflow: the metric in its "Sort" menu, then the ascending arrow) until the first row is the
  run with the largest / smallest value.
- ``filter``: ``metrics.m3 > 0.99`` typed into the search box + Enter, until the first rows are all
  runs that match (computed from the store).
- ``chart``: ``page.goto(chart URL)`` of the long series until its line is drawn (runyard:
  ``#/charts?runs=<id>&keys=<key>``, the chart's ``data-chart-ready``; MLflow: the run page's
  "Model metrics" tab, that metric's card with its plotted line), plus two animation frames.

A step that shows nothing right within ``--timeout`` is "no answer" and counts as slower than every
answered repeat. Timings from a loaded machine swing widely: compare the two columns of one run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_procs import spawn_server, stop_server, wait_ready  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CHROMIUM = os.environ.get("RUNYARD_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 900}
TARGET_S = 1.0
SYSTEMS = ("mlflow", "runyard")

# Names of the first k rows of each UI's runs table, in display order ("" for a row still loading).
ROWS_JS = {
    "runyard": """(k) => [...document.querySelectorAll('.vt-body .vt-row')]
        .map((row) => [Number(row.getAttribute('aria-rowindex')), row])
        .filter(([i]) => i >= 1 && i <= k).sort((a, b) => a[0] - b[0])
        .map(([, row]) => (row.dataset.runId && row.querySelector('a.run-link')?.textContent) || '')""",
    "mlflow": """(k) => [...document.querySelectorAll('.ag-pinned-left-cols-container .ag-row')]
        .map((row) => [Number(row.getAttribute('row-index')), row])
        .filter(([i]) => i >= 0 && i < k).sort((a, b) => a[0] - b[0])
        .map(([, row]) => row.querySelector('[col-id="attributes.`Run Name`"] a')?.textContent || '')""",
}
# Is the line of metric `key` drawn? MLflow renders chart cards lazily as they scroll into view, as a
# person scrolling to the card would; the check scrolls it there as soon as the card exists.
CHART_JS = {
    "runyard": """(key) => { const cell = document.querySelector(`.chart-cell[data-metric="${CSS.escape(key)}"]`);
        const ready = cell && (cell.matches('[data-chart-ready]') ? cell : cell.querySelector('[data-chart-ready]'));
        return Boolean(ready) && !['', 'empty', '0'].includes(ready.dataset.chartReady); }""",
    "mlflow": """(key) => { for (const card of document.querySelectorAll('[data-testid="experiment-view-compare-runs-card"]')) {
          if (card.querySelector('h4')?.getAttribute('title') !== key) continue;
          const line = card.querySelector('path.js-line');
          if (line && (line.getAttribute('d') || '').length > 20) return true;
          card.scrollIntoView({block: 'center'});
          return false;
        } return false; }""",
}
TWO_FRAMES_JS = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"


# -- data ----------------------------------------------------------------------------------------

def data_dir(args: argparse.Namespace) -> str:
    if args.data_dir:
        return os.path.abspath(args.data_dir)
    name = f"{args.runs}x{args.params}x{args.metrics}-long{args.long_series}"
    return os.path.join(HERE, "results", "ui-data", name)


def seed(args: argparse.Namespace) -> tuple[str, str, dict[str, float]]:
    """Paths of the runyard and MLflow stores with the same data (seeded once, then reused)."""
    folder = data_dir(args)
    os.makedirs(folder, exist_ok=True)
    runyard_db, mlflow_db = os.path.join(folder, "runyard-ui.db"), os.path.join(folder, "mlflow-ui.db")
    done = os.path.join(folder, "seeded.json")
    if os.path.exists(done):
        print(f"reusing the seeded stores in {folder}")
        with open(done) as f:
            return runyard_db, mlflow_db, json.load(f)
    for path in (runyard_db, mlflow_db):
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    timings = {}
    cmd = [sys.executable, os.path.join(HERE, "seed_ui_data.py"), "--store-uri", f"sqlite:///{runyard_db}",
           "--runs", str(args.runs), "--params", str(args.params), "--metrics", str(args.metrics),
           "--long-series", str(args.long_series)]
    print("seeding runyard:", " ".join(cmd[1:]), flush=True)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=folder, env=clean_env())
    timings["seed_runyard_s"] = time.perf_counter() - start
    print(f"  {timings['seed_runyard_s']:.1f} s; copying it into MLflow's schema", flush=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, os.path.join(HERE, "seed_mlflow_ui_data.py"), "--from", f"sqlite:///{runyard_db}",
                    "--store-uri", f"sqlite:///{mlflow_db}"], check=True, cwd=folder, env=clean_env())
    timings["seed_mlflow_s"] = time.perf_counter() - start
    with open(done, "w") as f:
        json.dump(timings, f)
    return runyard_db, mlflow_db, timings


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "RUNYARD_", "_MLFLOW_"))}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    return env


@dataclass
class Facts:
    """What the pages must show, read from the seeded store."""

    experiment_id: str
    runs: int
    newest: list[str]
    sort_key: str
    sort_max: list[str]
    sort_min: list[str]
    filter_text: str
    filter_matches: list[str]
    long_run_id: str
    long_key: str
    long_points: int
    extra: dict[str, Any] = field(default_factory=dict)


def read_facts(db: str, sort_key: str | None, filter_key: str | None, threshold: float) -> Facts:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        one = lambda sql, *a: conn.execute(sql, a).fetchone()  # noqa: E731
        names = lambda sql, *a: [r[0] for r in conn.execute(sql, a)]  # noqa: E731
        experiment_id, runs = one("SELECT experiment_id, count(*) FROM runs WHERE lifecycle_stage = 'active' "
                                  "GROUP BY experiment_id ORDER BY 2 DESC LIMIT 1")
        active = "r.experiment_id = ? AND r.lifecycle_stage = 'active'"
        newest = names(f"SELECT r.name FROM runs r WHERE {active} AND r.start_time = "
                       f"(SELECT max(start_time) FROM runs r WHERE {active})", experiment_id, experiment_id)
        long_run_id, long_key, long_points = one(
            "SELECT run_uuid, key, count(*) FROM metrics GROUP BY run_uuid, key ORDER BY 3 DESC LIMIT 1")
        keys = names("SELECT DISTINCT l.key FROM latest_metrics l JOIN runs r USING (run_uuid) "
                     f"WHERE {active} AND l.key != ? ORDER BY l.key", experiment_id, long_key)
        pick = lambda wanted, fallback: wanted if wanted in keys else fallback  # noqa: E731
        sort_key = pick(sort_key, keys[1] if len(keys) > 1 else keys[0])
        filter_key = pick(filter_key or "m3", keys[min(3, len(keys) - 1)])
        extreme = lambda fn: names(  # noqa: E731
            f"SELECT r.name FROM latest_metrics l JOIN runs r USING (run_uuid) WHERE {active} AND l.key = ? "
            f"AND l.value = (SELECT {fn}(l.value) FROM latest_metrics l JOIN runs r USING (run_uuid) "
            f"WHERE {active} AND l.key = ?)", experiment_id, sort_key, experiment_id, sort_key)
        matches = names(f"SELECT r.name FROM latest_metrics l JOIN runs r USING (run_uuid) WHERE {active} "
                        "AND l.key = ? AND l.value > ?", experiment_id, filter_key, threshold)
        sort_max, sort_min = extreme("max"), extreme("min")
    finally:
        conn.close()
    return Facts(str(experiment_id), runs, newest, sort_key, sort_max, sort_min,
                 f"metrics.{filter_key} > {threshold}", matches, long_run_id, long_key, long_points)


# -- driving a UI --------------------------------------------------------------------------------

class Timeout(Exception):
    """The page did not show the expected answer within --timeout."""


class Driver:
    """One system's UI in one browser context; every step returns the seconds it took."""

    def __init__(self, system: str, base: str, context, facts: Facts, timeout_s: float) -> None:
        self.system, self.base, self.facts, self.timeout_ms = system, base.rstrip("/") + "/", facts, timeout_s * 1000
        self.page = context.new_page()
        self.page.set_default_timeout(self.timeout_ms)

    # URLs
    def runs_url(self) -> str:
        if self.system == "runyard":
            return f"{self.base}#/experiments/{self.facts.experiment_id}"
        # The view state is explicit: MLflow otherwise restores the last sort and filter it saved.
        return (f"{self.base}#/experiments/{self.facts.experiment_id}/runs?searchFilter=&orderByKey="
                "attributes.start_time&orderByAsc=false&startTime=ALL&lifecycleFilter=Active")

    def chart_url(self) -> str:
        f = self.facts
        if self.system == "runyard":
            return f"{self.base}#/charts?runs={f.long_run_id}&keys={f.long_key}"
        return f"{self.base}#/experiments/{f.experiment_id}/runs/{f.long_run_id}/model-metrics"

    # waiting
    def wait_rows(self, expected: list[str], k: int = 1) -> None:
        need = min(k, len(expected))
        script = (f"(arg) => {{ const names = ({ROWS_JS[self.system]})(arg.k); const ok = new Set(arg.expected); "
                  "return names.length >= arg.need && names.slice(0, arg.need).every((n) => ok.has(n)); }")
        try:
            self.page.wait_for_function(script, arg={"k": k, "need": need, "expected": expected},
                                        polling="raf", timeout=self.timeout_ms)
        except Exception as exc:  # noqa: BLE001 - Playwright's TimeoutError
            shown = self.page.evaluate(ROWS_JS[self.system], 5)
            raise Timeout(f"{self.system}: expected {expected[:3]}... first, the table shows {shown}") from exc

    def settle(self) -> None:
        self.page.evaluate(TWO_FRAMES_JS)

    def timed(self, action: Callable[[], None], wait: Callable[[], None]) -> float:
        start = time.perf_counter()
        action()
        wait()
        self.settle()
        return time.perf_counter() - start

    # the measured steps
    def open_runs(self) -> float:
        self.page.goto("about:blank")
        return self.timed(lambda: self.page.goto(self.runs_url(), wait_until="commit"),
                          lambda: self.wait_rows(self.facts.newest))

    def sort(self) -> tuple[float, float]:
        f = self.facts
        self.open_runs()
        if self.system == "runyard":
            header = self.page.locator(f'[role="columnheader"][data-column="metrics.{f.sort_key}"] button')
            if header.count() == 0:  # not among the default columns: add it as a person would
                self.page.goto(self.runs_url() + f"?cols=metrics.{f.sort_key}", wait_until="commit")
                self.wait_rows(f.newest)
            up = self.timed(header.click, lambda: self.wait_rows(f.sort_min))
            down = self.timed(header.click, lambda: self.wait_rows(f.sort_max))
            return down, up
        self.page.get_by_test_id("sort-select-dropdown").click()
        option = self.page.get_by_test_id(f"sort-select-{f.sort_key}")
        option.wait_for()
        down = self.timed(option.click, lambda: self.wait_rows(f.sort_max))
        self.page.keyboard.press("Escape")
        self.page.get_by_test_id("sort-select-dropdown").click()
        up = self.timed(self.page.get_by_test_id("sort-select-asc").click, lambda: self.wait_rows(f.sort_min))
        self.page.keyboard.press("Escape")
        return down, up

    def filter(self) -> float:
        f = self.facts
        self.open_runs()
        box = (self.page.locator("input.filter-input") if self.system == "runyard"
               else self.page.get_by_placeholder('metrics.rmse < 1 and params.model = "tree"'))
        box.fill(f.filter_text)
        return self.timed(lambda: box.press("Enter"), lambda: self.wait_rows(f.filter_matches, k=5))

    def chart(self) -> float:
        self.page.goto("about:blank")

        def drawn() -> None:
            try:
                self.page.wait_for_function(CHART_JS[self.system], arg=self.facts.long_key, polling="raf",
                                            timeout=self.timeout_ms)
            except Exception as exc:  # noqa: BLE001
                raise Timeout(f"{self.system}: the chart of {self.facts.long_key} was not drawn") from exc

        return self.timed(lambda: self.page.goto(self.chart_url(), wait_until="commit"), drawn)


def measure(driver: Driver, repeats: int, snap_dir: str | None) -> dict[str, Any]:
    """Every step on one UI: a cold first visit, then `repeats` of each; medians and every sample."""
    out: dict[str, Any] = {}

    def step(name: str, fn: Callable[[], Any]) -> Any:
        value = None
        try:
            value = fn()
        except Exception as exc:  # noqa: BLE001 - a timeout or a Playwright error: no figure for this step
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            out.setdefault("errors", []).append(f"{name}: {reason}")
            print(f"  {driver.system} {name}: NO ANSWER ({reason})", flush=True)
        else:
            shown = ", ".join(f"{v:.3f}" for v in value) if isinstance(value, tuple) else f"{value:.3f}"
            print(f"  {driver.system} {name}: {shown} s", flush=True)
        if snap_dir:
            label = name.split("#")[0].replace(" ", "-").replace("(", "").replace(")", "")
            try:
                driver.page.screenshot(path=os.path.join(snap_dir, f"{driver.system}-{label}.png"))
            except Exception:  # noqa: BLE001 - a screenshot is a diagnostic only
                pass
        return value

    out["first_rows_cold"] = step("first rows (cold)", driver.open_runs)
    samples: dict[str, list[float]] = {"first_rows": [], "sort_desc": [], "sort_asc": [], "filter": [], "chart": []}
    for i in range(repeats):
        samples["first_rows"].append(step(f"first rows#{i}", driver.open_runs))
    for i in range(repeats):
        both = step(f"sort#{i}", driver.sort)
        samples["sort_desc"].append(both[0] if both else None)
        samples["sort_asc"].append(both[1] if both else None)
    for i in range(repeats):
        samples["filter"].append(step(f"filter#{i}", driver.filter))
    out["chart_cold"] = step("chart (cold)", driver.chart)
    for i in range(repeats):
        samples["chart"].append(step(f"chart#{i}", driver.chart))
    for name, values in samples.items():
        # A step with no answer within --timeout took longer than any answered one.
        middle = statistics.median_high([math.inf if v is None else v for v in values]) if values else math.inf
        out[name] = None if math.isinf(middle) else middle
    out["samples"] = samples
    return out


# -- servers -------------------------------------------------------------------------------------

def run_system(system: str, db: str, facts: Facts, args: argparse.Namespace, browser, work: str) -> dict[str, Any]:
    log = os.path.join(work, f"{system}-server.log")
    srv = spawn_server(system, f"sqlite:///{db}", os.path.join(work, f"{system}-artifacts"), None, log)
    try:
        ready = wait_ready(srv, timeout=180)
        print(f"{system} server at {srv.url} (ready in {max(ready.values()):.1f} s)", flush=True)
        context = browser.new_context(viewport=VIEWPORT)
        try:
            snap_dir = os.path.join(work, "screenshots") if args.keep else None
            if snap_dir:
                os.makedirs(snap_dir, exist_ok=True)
            return measure(Driver(system, srv.url, context, facts, args.timeout), args.repeats, snap_dir)
        finally:
            context.close()
    finally:
        stop_server(srv)


ROWS = [
    ("first_rows", "runs table: first rows", True),
    ("first_rows_cold", "  (first visit, cold cache)", False),
    ("sort_desc", "sort by metric, descending", True),
    ("sort_asc", "sort by metric, ascending", True),
    ("filter", "filter", True),
    ("chart", "chart of the long metric", True),
    ("chart_cold", "  (first visit, cold cache)", False),
]


def table(results: dict[str, dict[str, Any]], facts: Facts) -> str:
    def cell(v: float | None) -> str:
        return "no answer" if v is None else f"{v:.3f} s"

    lines = [f"{'page':<32} | {'MLflow':>10} | {'runyard':>10} | {'MLflow/runyard':>14} | runyard vs {TARGET_S:.0f} s"]
    lines.append("-" * len(lines[0]))
    for key, label, targeted in ROWS:
        m = results.get("mlflow", {}).get(key) if "mlflow" in results else None
        r = results.get("runyard", {}).get(key) if "runyard" in results else None
        ratio = f"{m / r:.1f}x" if m is not None and r else "n/a"
        verdict = ""
        if targeted and "runyard" in results:
            verdict = ("MISSED (no answer)" if r is None else "ok" if r <= TARGET_S
                       else f"MISSED by {r - TARGET_S:.3f} s")
        lines.append(f"{label:<32} | {cell(m) if 'mlflow' in results else '-':>10} | "
                     f"{cell(r) if 'runyard' in results else '-':>10} | {ratio:>14} | {verdict}")
    lines.append(f"(sort key metrics.{facts.sort_key}; filter '{facts.filter_text}' matches "
                 f"{len(facts.filter_matches):,} runs; chart: {facts.long_points:,} points of '{facts.long_key}')")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--params", type=int, default=20)
    parser.add_argument("--metrics", type=int, default=20)
    parser.add_argument("--long-series", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="2,000 runs, a 20,000-point series, 1 repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only-runyard", action="store_true")
    parser.add_argument("--only-mlflow", action="store_true")
    parser.add_argument("--order", choices=["runyard-first", "mlflow-first"], default="runyard-first")
    parser.add_argument("--sort-key", default="m1", help="metric to sort by (default m1)")
    parser.add_argument("--filter-key", default="m3", help="metric of the filter (default m3)")
    parser.add_argument("--threshold", type=float, default=0.99, help="the filter's threshold (default 0.99)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a step counts as no answer")
    parser.add_argument("--data-dir", help="where the seeded stores live (default bench/results/ui-data/<sizes>)")
    parser.add_argument("--json", dest="json_out", help="write every figure here (default bench/results/ui-<time>.json)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (server logs, screenshots)")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.long_series, args.repeats = min(args.runs, 2_000), min(args.long_series, 20_000), 1
    if not os.access(CHROMIUM, os.X_OK):
        raise SystemExit(f"no Chromium at {CHROMIUM}: apt-get install chromium (scripts/test.sh does)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the servers are stopped on the way out

    runyard_db, mlflow_db, seeding = seed(args)
    facts = read_facts(runyard_db, args.sort_key, args.filter_key, args.threshold)
    print(f"experiment {facts.experiment_id}: {facts.runs:,} runs; newest {facts.newest[:2]}; "
          f"{facts.long_points:,} points of {facts.long_key} in run {facts.long_run_id}", flush=True)
    systems = [s for s in (SYSTEMS if args.order == "mlflow-first" else SYSTEMS[::-1])
               if not (args.only_runyard and s == "mlflow") and not (args.only_mlflow and s == "runyard")]

    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, Any]] = {}
    work = tempfile.mkdtemp(prefix="bench-ui-")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for system in systems:
                db = runyard_db if system == "runyard" else mlflow_db
                results[system] = run_system(system, db, facts, args, browser, work)
        finally:
            browser.close()
    print()
    print(table(results, facts))
    print(f"(no answer: the page did not show the expected rows or line within {args.timeout:.0f} s)")
    payload = {"sizes": {"runs": args.runs, "params": args.params, "metrics": args.metrics,
                         "long_series": args.long_series}, "repeats": args.repeats, "seeding": seeding,
               "browser": browser_version(), "facts": {k: v for k, v in facts.__dict__.items()
                                                       if k not in ("filter_matches",)} | {
                   "filter_match_count": len(facts.filter_matches)}, "results": results,
               "target_s": TARGET_S, "work": work if args.keep else None}
    out = args.json_out or os.path.join(HERE, "results", time.strftime("ui-%Y%m%d-%H%M%S.json"))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(payload, f, indent=1)
    print(f"\nJSON: {out}" + (f"; server logs and screenshots in {work}" if args.keep else ""))
    if not args.keep:
        subprocess.run(["rm", "-rf", work], check=False)
    return 1 if any(r.get("errors") for r in results.values()) else 0


def browser_version() -> str:
    try:
        return subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


if __name__ == "__main__":
    sys.exit(main())
