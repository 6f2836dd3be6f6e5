// #/charts?runs=a,b&keys=loss,acc&x=step|time|relative&smooth=0.6&log=1
// Metric lines of one or many runs overlaid. The server downsamples long series (each bucket keeps
// its minimum and maximum point, so spikes stay visible); zooming refetches the window at full
// detail. Charts of running runs refresh while they train. Each metric of many runs is one
// request (metrics/downsampled-bulk) and the runs are read with one runs/search, so a chart of
// 100 runs costs what a chart of one does.

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { formatTime } from "../format.js";
import { setQuery } from "../app.js";
import { lineChart, smooth, runColor } from "../components/chart.js";
import { bulkSeries, loadRuns, number } from "../components/run_loading.js";

const BUCKETS = 1000;
const POINT_BUDGET = 100_000; // buckets per series shrink past 50 runs so that a chart stays near this
const LIVE_MS = 3000;

/** Buckets per series for a chart of n runs: full detail up to 50, then fewer (never under 200). */
export function bucketsFor(n) {
  return Math.max(200, Math.min(BUCKETS, Math.floor(POINT_BUDGET / Math.max(1, n) / 2)));
}

function toXY(points, axis, offset, scale) {
  return points.map((p) => [axis === "step" ? Number(p.step) : (Number(p.timestamp) - offset) / scale, number(p.value)]);
}

/** [{xy, total}] per run: one GET for a single run, else one downsampled-bulk request. */
async function fetchSeries(runs, key, axis, window, buckets) {
  const relative = axis === "relative";
  const scale = relative ? 1000 : 1;
  const offsets = runs.map((run) => (relative ? Number(run.info.start_time) : 0));
  const query = { metric_key: key, x_axis: axis === "step" ? "step" : "timestamp", buckets };
  if (window) {
    // Relative time shifts each run by its start: ask for the union of the runs' windows, then
    // keep each run's own below.
    query.min_x = Math.min(...offsets.map((offset) => Math.floor(window[0] * scale + offset)));
    query.max_x = Math.max(...offsets.map((offset) => Math.ceil(window[1] * scale + offset)));
  }
  const answers = runs.length === 1
    ? [await api.get("2.0/runyard/metrics/downsampled", { run_id: runs[0].info.run_id, ...query })]
    : await bulkSeries(runs.map((run) => run.info.run_id), query);
  return answers.map(({ points = [], total_points: total = 0 }, i) => {
    let xy = toXY(points, axis, offsets[i], scale);
    if (window && relative) xy = xy.filter(([x]) => x >= window[0] - 1e-9 && x <= window[1] + 1e-9);
    return { xy, total };
  });
}

function runLabel(run) {
  return run.info.run_name || run.info.run_id.slice(0, 8);
}

function keyChooser(allKeys, chosen, onChange) {
  const filter = h("input", { type: "search", placeholder: "Filter metrics", "aria-label": "Filter metrics" });
  const list = h("div", { class: "key-list" });
  const draw = () => {
    const text = filter.value.toLowerCase();
    list.textContent = "";
    for (const key of allKeys.filter((k) => k.toLowerCase().includes(text)).slice(0, 300)) {
      const box = h("input", { type: "checkbox", checked: chosen.has(key), onchange: () => {
        if (box.checked) chosen.add(key); else chosen.delete(key);
        onChange();
      } });
      list.appendChild(h("label", { class: "key" }, box, " ", key));
    }
  };
  filter.addEventListener("input", draw);
  draw();
  return h("details", { class: "key-chooser" }, h("summary", null, `Metrics (${chosen.size} of ${allKeys.length} shown)`),
           filter, list);
}

export async function render(main, params, query) {
  const runIds = (query.get("runs") || "").split(",").filter(Boolean);
  if (!runIds.length) {
    replace(main, h("h1", null, "Charts"), h("p", null, "No runs chosen: open charts from a run or a comparison."));
    return;
  }
  const runs = params.runs || await loadRuns(runIds);
  const buckets = bucketsFor(runs.length);
  const allKeys = [...new Set(runs.flatMap((r) => (r.data.metrics || []).map((m) => m.key)))].sort();
  const requested = (query.get("keys") || "").split(",").filter(Boolean);
  const chosen = new Set(requested.length ? requested : allKeys.slice(0, 8));
  const state = { axis: query.get("x") || "step", smoothing: Number(query.get("smooth") || 0), logY: query.get("log") === "1" };
  const charts = new Map();
  const grid = h("div", { class: "charts-grid" });
  const status = h("span", { class: "muted" });
  let timer = null;
  let stopped = false;

  const formatX = () => (state.axis === "time" ? (x) => formatTime(x) : undefined);
  const xLabel = () => ({ step: "step", time: "wall time", relative: "seconds since start" }[state.axis]);

  const drawKey = async (key, window) => {
    const fetched = await fetchSeries(runs, key, state.axis, window, buckets);
    if (stopped) return;
    const series = fetched.map(({ xy }, i) => ({ label: runLabel(runs[i]), color: runColor(i),
                                                 points: smooth(xy, state.smoothing) }));
    const total = fetched.reduce((n, f) => n + f.total, 0);
    const downsampled = fetched.some((f) => f.total > buckets * 2);
    const title = `${key}` + (downsampled ? ` (${total.toLocaleString()} points, downsampled)` : "");
    let chart = charts.get(key);
    if (chart && chart.title !== title) { chart.handle.destroy(); chart = null; }
    const options = { title, series, logY: state.logY, xLabel: xLabel(), formatX: formatX(),
                      onZoom: (a, b) => { charts.get(key).window = [a, b]; drawKey(key, [a, b]); },
                      onReset: () => { charts.get(key).window = null; drawKey(key, null); } };
    if (chart) {
      chart.handle.update(options);
    } else {
      const cell = h("div", { class: "chart-cell", dataset: { metric: key } });
      grid.appendChild(cell);
      charts.set(key, { title, handle: lineChart(cell, options), window, cell });
    }
  };

  const drawAll = async () => {
    for (const { handle, cell } of charts.values()) { handle.destroy(); cell.remove(); }
    charts.clear();
    const started = performance.now();
    await Promise.all([...chosen].sort().map((key) => drawKey(key, null)));
    status.textContent = `${chosen.size} chart${chosen.size === 1 ? "" : "s"} in ${Math.round(performance.now() - started)} ms`;
    setQuery({ keys: [...chosen].sort().join(","), x: state.axis === "step" ? null : state.axis,
               smooth: state.smoothing || null, log: state.logY ? 1 : null });
  };

  const axis = h("select", { "aria-label": "X axis", onchange: () => { state.axis = axis.value; drawAll(); } },
    [["step", "Step"], ["time", "Wall time"], ["relative", "Relative time"]].map(([value, label]) =>
      h("option", { value, selected: state.axis === value }, label)));
  const smoothing = h("input", { type: "range", min: 0, max: 0.99, step: 0.01, value: state.smoothing,
                                 "aria-label": "Smoothing" });
  const smoothingValue = h("span", null, String(state.smoothing));
  smoothing.addEventListener("change", () => {
    state.smoothing = Number(smoothing.value);
    smoothingValue.textContent = smoothing.value;
    drawAll();
  });
  const log = h("input", { type: "checkbox", checked: state.logY, "aria-label": "Log scale",
                           onchange: () => { state.logY = log.checked; drawAll(); } });

  const runLinks = runs.flatMap((run, i) => [i ? ", " : "", h("a", { href: "#/runs/" + run.info.run_id,
    style: { color: runColor(i) } }, runLabel(run)), run.info.status === "RUNNING" ? " (running)" : ""]);
  replace(main,
    h(params.embedded ? "h2" : "h1", null, "Charts"),
    params.embedded ? null
      : runs.length > 12 ? h("details", { class: "chart-runs" }, h("summary", null, `${runs.length} runs`), h("p", null, runLinks))
        : h("p", null, runLinks),
    h("div", { class: "toolbar" }, h("label", null, "X axis ", axis), h("label", null, "Smoothing ", smoothing, smoothingValue),
      h("label", null, log, " Log scale"), h("span", { class: "muted" }, "Drag to zoom, double-click to reset."), status),
    keyChooser(allKeys, chosen, drawAll), grid);
  await drawAll();

  if (runs.some((run) => run.info.status === "RUNNING")) {
    const tick = async () => {
      try {
        const fresh = await loadRuns(runs.map((run) => run.info.run_id));
        fresh.forEach((run, i) => { runs[i] = run; });
        await Promise.all([...charts.entries()].map(([key, chart]) => drawKey(key, chart.window)));
        if (!runs.some((run) => run.info.status === "RUNNING")) return;
      } catch (error) {
        console.warn(error);
      }
      if (!stopped) timer = setTimeout(tick, LIVE_MS);
    };
    timer = setTimeout(tick, LIVE_MS);
  }
  return () => { stopped = true; if (timer) clearTimeout(timer); };
}
