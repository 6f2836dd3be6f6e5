// #/charts?runs=a,b&keys=loss,acc&x=step|time|relative&smooth=0.6&log=1
// Metric lines of one or many runs overlaid. The server downsamples long series (each bucket keeps
// its minimum and maximum point, so spikes stay visible); zooming refetches the window at full
// detail. Charts of running runs refresh while they train.

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { formatTime } from "../format.js";
import { setQuery } from "../app.js";
import { lineChart, smooth, PALETTE } from "../components/chart.js";

const BUCKETS = 1000;
const LIVE_MS = 3000;

function number(value) {
  if (typeof value === "number") return value;
  if (value === "NaN") return NaN;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  return Number(value);
}

async function fetchSeries(run, key, axis, window) {
  const relative = axis === "relative";
  const offset = relative ? Number(run.info.start_time) : 0;
  const scale = relative ? 1000 : 1;
  const query = { run_id: run.info.run_id, metric_key: key, x_axis: axis === "step" ? "step" : "timestamp",
                  buckets: BUCKETS };
  if (window) {
    query.min_x = Math.floor(window[0] * scale + offset);
    query.max_x = Math.ceil(window[1] * scale + offset);
  }
  const { points = [], total_points: total = 0 } = await api.get("2.0/runyard/metrics/downsampled", query);
  const xy = points.map((p) => [axis === "step" ? Number(p.step) : (Number(p.timestamp) - offset) / scale, number(p.value)]);
  return { xy, total };
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
  const runs = (await Promise.all(runIds.map((run_id) => api.get("2.0/mlflow/runs/get", { run_id })))).map((r) => r.run);
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
    const fetched = await Promise.all(runs.map((run) => fetchSeries(run, key, state.axis, window)));
    const series = fetched.map(({ xy }, i) => ({ label: runLabel(runs[i]), color: PALETTE[i % PALETTE.length],
                                                 points: smooth(xy, state.smoothing) }));
    const total = fetched.reduce((n, f) => n + f.total, 0);
    const title = `${key}` + (total > BUCKETS * 2 ? ` (${total.toLocaleString()} points, downsampled)` : "");
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

  replace(main,
    h(params.embedded ? "h2" : "h1", null, "Charts"),
    h("p", null, ...runs.flatMap((run, i) => [i ? ", " : "", h("a", { href: "#/runs/" + run.info.run_id,
      style: { color: PALETTE[i % PALETTE.length] } }, runLabel(run)), run.info.status === "RUNNING" ? " (running)" : ""])),
    h("div", { class: "toolbar" }, h("label", null, "X axis ", axis), h("label", null, "Smoothing ", smoothing, smoothingValue),
      h("label", null, log, " Log scale"), h("span", { class: "muted" }, "Drag to zoom, double-click to reset."), status),
    keyChooser(allKeys, chosen, drawAll), grid);
  await drawAll();

  if (runs.some((run) => run.info.status === "RUNNING")) {
    const tick = async () => {
      try {
        const fresh = await Promise.all(runIds.map((run_id) => api.get("2.0/mlflow/runs/get", { run_id })));
        fresh.forEach((r, i) => { runs[i] = r.run; });
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
