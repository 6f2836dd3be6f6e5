// #/compare?runs=a,b,c: params side by side ("only differences"), metrics (last, min, max or mean
// of each history, the best run highlighted), parallel coordinates, overlaid charts; for two runs,
// a diff of params, metrics, tags and artifacts.
//
// Built for hundreds of runs: the runs come from one runs/search and the metric summaries from one
// request, the tables scroll sideways under a sticky key column, and the charts ask for each metric
// of all runs at once.

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { formatNumber } from "../format.js";
import { runColor } from "../components/chart.js";
import { ensureMetricStyles } from "../components/metric_styles.js";
import { parallelCoordinates } from "../components/parallel_coordinates.js";
import { loadRuns, metricSummaries } from "../components/run_loading.js";

const STATS = ["last", "min", "max", "mean"];
const LOWER_IS_BETTER = /loss|error|rmse|mae|mse/i;
const MANY_RUNS = 12;

function runName(run) {
  return run.info.run_name || run.info.run_id.slice(0, 8);
}

function valuesByKey(runs, section) {
  const keys = new Set();
  const maps = runs.map((run) => {
    const map = new Map((run.data[section] || []).map((item) => [item.key, item.value]));
    for (const key of map.keys()) keys.add(key);
    return map;
  });
  return { keys: [...keys].sort(), maps };
}

function differs(maps, key) {
  const first = maps[0].get(key);
  return maps.some((map) => map.get(key) !== first);
}

function runHeader(runs) {
  return runs.map((run, i) => h("th", { class: "run-col", title: run.info.run_name || run.info.run_id,
                                         style: { color: runColor(i) } }, runName(run)));
}

/** A table of keys (rows) by runs (columns) that scrolls sideways under a sticky key column. */
function wideTable(className, runs, headExtra, rows) {
  return h("div", { class: "compare-scroll" }, h("table", { class: `grid ${className}` },
    h("thead", null, h("tr", null, h("th", { class: "key-col" }, "Key", headExtra), runHeader(runs))),
    h("tbody", null, rows)));
}

function paramsTable(runs, onlyDifferences) {
  const { keys, maps } = valuesByKey(runs, "params");
  const shown = onlyDifferences ? keys.filter((key) => differs(maps, key)) : keys;
  if (!shown.length) return h("p", { class: "muted" }, onlyDifferences ? "No differences." : "None logged.");
  return wideTable("compare-params", runs, null, shown.map((key) =>
    h("tr", { class: differs(maps, key) ? "differs" : "", dataset: { key } },
      h("td", { class: "key-col", title: key }, key),
      maps.map((map) => h("td", null, map.has(key) ? map.get(key) : "—")))));
}

/** Each run's value of `key` for the chosen statistic (a number, NaN, or undefined when absent). */
function statValues(runs, key, stat, summaries, latest) {
  return runs.map((run, i) => {
    const summary = summaries && summaries.get(run.info.run_id + "\u0000" + key);
    if (summary) return summary[stat] === null ? NaN : summary[stat];
    if (stat === "last" && latest.maps[i].has(key)) return latest.maps[i].get(key);
    return undefined;
  });
}

function bestOf(values, direction) {
  const finite = values.map(Number).filter((v) => Number.isFinite(v));
  if (!finite.length) return undefined;
  return direction === "min" ? Math.min(...finite) : Math.max(...finite);
}

function metricsSection(runs, summaries) {
  const latest = valuesByKey(runs, "metrics");
  const keys = new Set(latest.keys);
  if (summaries) for (const s of summaries.values()) keys.add(s.key);
  const sortedKeys = [...keys].sort();
  const state = { stat: "last", highlight: true, directions: new Map() };
  const direction = (key) => state.directions.get(key) || (LOWER_IS_BETTER.test(key) ? "min" : "max");
  const box = h("div");
  const draw = () => {
    if (!sortedKeys.length) { replace(box, h("p", { class: "muted" }, "None logged.")); return; }
    const rows = sortedKeys.map((key) => {
      const values = statValues(runs, key, state.stat, summaries, latest);
      const dir = direction(key);
      const best = state.highlight ? bestOf(values, dir) : undefined;
      const flip = h("button", {
        type: "button", class: "direction", title: "Which way is better for this metric (click to switch)",
        "aria-label": `Best ${key}: ${dir === "min" ? "lowest" : "highest"}`,
        onclick: () => { state.directions.set(key, dir === "min" ? "max" : "min"); draw(); },
      }, dir === "min" ? "↓ best" : "↑ best");
      return h("tr", { dataset: { key, direction: dir } },
        h("td", { class: "key-col", title: key }, key, state.highlight ? flip : null),
        values.map((value, i) => {
          const isBest = best !== undefined && Number(value) === best;
          return h("td", { class: "num" + (isBest ? " best" : ""), dataset: { run: runs[i].info.run_id },
                           title: isBest ? `best ${key} (${state.stat})` : null },
                   value === undefined ? "—" : formatNumber(value));
        }));
    });
    replace(box, wideTable("compare-metrics", runs, null, rows));
  };
  const stat = h("select", { "aria-label": "Metric value", onchange: () => { state.stat = stat.value; draw(); } },
    STATS.map((name) => h("option", { value: name, selected: name === state.stat }, name)));
  const highlight = h("input", { type: "checkbox", checked: true, "aria-label": "Highlight best",
                                 onchange: () => { state.highlight = highlight.checked; draw(); } });
  draw();
  return h("section", { class: "compare-metrics-section" },
    h("div", { class: "toolbar" }, h("label", null, "Value: ", stat), h("label", null, highlight, " Highlight best run"),
      summaries ? null : h("span", { class: "muted" }, "Only last values: the summaries could not be read.")),
    box);
}

function parallelSection(runs) {
  const params = valuesByKey(runs, "params");
  const metrics = valuesByKey(runs, "metrics");
  const columns = [
    ...params.keys.filter((key) => differs(params.maps, key)).slice(0, 6)
      .map((key) => ({ label: key, values: params.maps.map((m) => m.get(key)) })),
    ...metrics.keys.slice(0, 4).map((key) => ({ label: key, values: metrics.maps.map((m) => m.get(key)) })),
  ];
  if (columns.length < 2) return h("p", { class: "muted" }, "Not enough differing params or metrics to plot.");
  const plot = parallelCoordinates(columns, runs.map((run, i) => ({ label: run.info.run_name || run.info.run_id,
                                                                   color: runColor(i) })));
  // Thin, translucent lines (the hovered one comes forward) keep hundreds of runs readable.
  if (runs.length > MANY_RUNS) plot.querySelector("svg").classList.add("many");
  return plot;
}

const STATUS_LABEL = { same: "same", changed: "changed", only_a: "only in A", only_b: "only in B" };

function diffTable(title, rows, columns) {
  const changed = rows.filter((row) => row.status !== "same");
  return [h("h3", null, `${title} (${changed.length} of ${rows.length} differ)`),
    changed.length ? h("table", { class: "grid diff" }, h("thead", null, h("tr", null, columns.map(([label]) => h("th", null, label)))),
      h("tbody", null, changed.map((row) => h("tr", { class: "diff-" + row.status },
        columns.map(([, get]) => h("td", null, get(row)))))))
      : h("p", { class: "muted" }, "No differences.")];
}

async function diffSection(a, b) {
  const diff = await api.get("2.0/runyard/runs/diff", { run_a: a, run_b: b });
  const kv = [["Key", (r) => r.key], ["A", (r) => r.a ?? "—"], ["B", (r) => r.b ?? "—"], ["", (r) => STATUS_LABEL[r.status]]];
  return h("section", { class: "run-diff" },
    ...diffTable("Params", diff.params || [], kv),
    ...diffTable("Metrics", diff.metrics || [], kv),
    ...diffTable("Tags", diff.tags || [], kv),
    ...diffTable("Artifacts", diff.artifacts || [], [["Path", (r) => r.path], ["A size", (r) => r.a_size ?? "—"],
                                                     ["B size", (r) => r.b_size ?? "—"], ["", (r) => STATUS_LABEL[r.status]]]));
}

function runLinks(runs) {
  const links = runs.flatMap((run, i) => [i ? " · " : "", h("a", { href: "#/runs/" + run.info.run_id,
    style: { color: runColor(i) } }, run.info.run_name || run.info.run_id)]);
  if (runs.length <= MANY_RUNS) return h("p", null, ...links);
  return h("details", { class: "compare-runs" }, h("summary", null, `${runs.length} runs`),
           h("div", { class: "run-names" }, runs.map((run, i) => h("a", { href: "#/runs/" + run.info.run_id,
             style: { color: runColor(i) } }, run.info.run_name || run.info.run_id))));
}

export async function render(main, params, query) {
  ensureMetricStyles();
  const ids = [...new Set((query.get("runs") || "").split(",").filter(Boolean))];
  if (ids.length < 2) {
    replace(main, h("h1", null, "Compare runs"), h("p", null, "Choose at least two runs in a runs table to compare them."));
    return;
  }
  const [runs, summaries] = await Promise.all([
    loadRuns(ids),
    metricSummaries(ids).catch((error) => { console.warn(error); return null; }),
  ]);
  const only = h("input", { type: "checkbox", checked: true, id: "only-differences" });
  const paramsBox = h("div");
  const drawParams = () => replace(paramsBox, paramsTable(runs, only.checked));
  only.addEventListener("change", drawParams);
  drawParams();
  const chartsBox = h("div", { class: "compare-charts" });
  replace(main,
    h("h1", null, `Compare ${runs.length} runs`),
    runLinks(runs),
    h("h2", null, "Params"), h("label", { class: "toolbar" }, only, " Only differences"), paramsBox,
    h("h2", null, "Metrics"), metricsSection(runs, summaries),
    h("h2", null, "Parallel coordinates"), parallelSection(runs),
    runs.length === 2 ? h("h2", null, "Diff") : null,
    runs.length === 2 ? await diffSection(ids[0], ids[1]).catch((e) => h("p", { class: "error" }, e.message)) : null,
    chartsBox);
  const charts = await import("./charts.js");
  const stop = await charts.render(chartsBox, { embedded: true, runs },
                                   new URLSearchParams({ runs: runs.map((run) => run.info.run_id).join(",") }));
  return typeof stop === "function" ? stop : undefined;
}
