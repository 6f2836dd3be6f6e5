// The run page's parameter and metric (last, min, max, mean) tables (with a filter box) and its Models tab.

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { formatNumber, formatTime } from "../format.js";
import { ensureMetricStyles } from "./metric_styles.js";
import { metricSummaries } from "./run_loading.js";

const SHOWN_ROWS = 2000; // rows drawn at once; the filter narrows the rest
const MODELS_SHOWN = 100;

function filteredTable({ label, rows, filter, onFilter, header, matches, cells, empty }) {
  const input = h("input", { type: "search", class: "table-filter", placeholder: `Filter ${label}`,
                             "aria-label": `Filter ${label}`, value: filter });
  const count = h("span", { class: "muted count-note" });
  const body = h("tbody");
  const draw = () => {
    const needle = input.value.trim().toLowerCase();
    const found = needle ? rows.filter((row) => matches(row, needle)) : rows;
    replace(body, found.slice(0, SHOWN_ROWS).map((row) => h("tr", null, cells(row))));
    const shown = Math.min(found.length, SHOWN_ROWS);
    count.textContent = needle || found.length > SHOWN_ROWS
      ? `${shown.toLocaleString()} shown of ${rows.length.toLocaleString()}` + (found.length > shown ? "; refine the filter to see the rest" : "")
      : `${rows.length.toLocaleString()} ${label}`;
  };
  input.addEventListener("input", () => { draw(); onFilter(input.value); });
  draw();
  if (!rows.length) return h("section", null, h("p", { class: "muted" }, empty));
  const section = h("section", { class: `run-${label}` }, h("div", { class: "toolbar" }, input, count),
                    h("table", { class: "grid" }, h("thead", null, h("tr", null, header.map((text) => h("th", null, text)))), body));
  section.redraw = draw; // for cells that fill in later
  return section;
}

const contains = (text, needle) => String(text ?? "").toLowerCase().includes(needle);

/** Parameters, sorted by name, filtered by name or value. */
export function paramsTable(params, filter, onFilter) {
  const rows = [...params].sort((a, b) => a.key.localeCompare(b.key));
  return filteredTable({
    label: "parameters", rows, filter, onFilter, empty: "This run has no parameters.",
    header: ["Name", "Value"],
    matches: (row, needle) => contains(row.key, needle) || contains(row.value, needle),
    cells: (row) => [h("td", { class: "key" }, row.key), h("td", { class: "value" }, row.value)],
  });
}

const atStep = (step) => (step === null || step === undefined ? null : h("span", { class: "at-step muted" }, ` @ ${step}`));

/**
 * Every metric of the run: last value and step straight from the run, then min, max and mean over
 * the whole history and the number of points (one summaries request; NaN points count but are
 * left out of min, max and mean). Each name opens the charts page for this run and metric.
 */
export function latestMetricsTable(runId, metrics, filter, onFilter) {
  ensureMetricStyles();
  const rows = [...metrics].sort((a, b) => a.key.localeCompare(b.key));
  const chartHref = (key) => "#/charts?" + new URLSearchParams({ runs: runId, keys: key }).toString();
  let summaries = null; // null: loading; Map once read; an Error when the read failed
  const stat = (row, name) => {
    if (summaries === null) return h("span", { class: "muted" }, "…");
    if (summaries instanceof Error) return h("span", { class: "muted", title: summaries.message }, "—");
    const s = summaries.get(row.key);
    if (!s || s[name] === null || s[name] === undefined) return h("span", { class: "muted" }, "—");
    return formatNumber(s[name]);
  };
  const extreme = (row, name) => {
    const s = summaries instanceof Map ? summaries.get(row.key) : null;
    return [stat(row, name), s ? atStep(s[name + "_step"]) : null];
  };
  const section = filteredTable({
    label: "metrics", rows, filter, onFilter, empty: "This run has no metrics.",
    header: ["Metric", "Last", "Last step", "Min", "Max", "Mean", "Steps", "Logged"],
    matches: (row, needle) => contains(row.key, needle),
    cells: (row) => [
      h("td", { class: "key" }, h("a", { href: chartHref(row.key), class: "metric-link" }, row.key)),
      h("td", { class: "num stat-last", title: String(row.value) }, formatNumber(row.value)),
      h("td", { class: "num" }, String(row.step ?? 0)),
      h("td", { class: "num stat-min" }, extreme(row, "min")),
      h("td", { class: "num stat-max" }, extreme(row, "max")),
      h("td", { class: "num stat-mean" }, stat(row, "mean")),
      h("td", { class: "num stat-count" }, stat(row, "count")),
      h("td", null, formatTime(row.timestamp)),
    ],
  });
  if (rows.length) {
    metricSummaries([runId]).then((found) => {
      summaries = new Map([...found.values()].map((s) => [s.key, s]));
    }).catch((error) => { summaries = error instanceof Error ? error : new Error(String(error)); })
      .finally(() => { if (section.redraw) section.redraw(); section.dataset.summaries = summaries instanceof Map ? "ready" : "failed"; });
  }
  return section;
}

function versionHref(name, version) {
  return `#/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`;
}

function versionLink(name, version) {
  return h("a", { href: versionHref(name, version), class: "version-link" }, `${name} v${version}`);
}

function loggedModelsSection(run, versions) {
  const box = h("section", { class: "logged-models" }, h("h2", null, "Logged models"), h("p", { class: "muted" }, "Loading…"));
  api.post("2.0/mlflow/logged-models/search", {
    experiment_ids: [run.info.experiment_id],
    filter: `source_run_id = '${run.info.run_id}'`,
    max_results: MODELS_SHOWN,
  }).then(async ({ models = [] }) => {
    if (!models.length) { replace(box, h("h2", null, "Logged models"), h("p", { class: "muted" }, "No models logged by this run.")); return; }
    const registered = await versions;
    const typed = models.some(({ info }) => info.model_type);
    const rows = models.map(({ info }) => {
      const regs = (info.registrations || []).map((r) => [r.name, r.version]);
      for (const v of registered) if (v.model_id === info.model_id && !regs.some(([n, x]) => n === v.name && String(x) === String(v.version))) regs.push([v.name, v.version]);
      return h("tr", { dataset: { modelId: info.model_id } },
        h("td", null, h("strong", null, info.name || "")),
        h("td", null, h("code", null, info.model_id)),
        typed ? h("td", null, info.model_type || "") : null,
        h("td", null, (info.status || "").replace(/^LOGGED_MODEL_/, "").toLowerCase()),
        h("td", null, formatTime(info.creation_timestamp_ms)),
        h("td", null, regs.length ? regs.map(([n, x], k) => [k ? ", " : null, versionLink(n, x)]) : h("span", { class: "muted" }, "—")));
    });
    replace(box, h("h2", null, "Logged models"), h("table", { class: "grid" },
      h("thead", null, h("tr", null, ["Name", "Model ID", typed ? "Type" : null, "Status", "Created", "Registered as"].map((t) => t && h("th", null, t)))),
      h("tbody", null, rows)));
  }).catch((error) => replace(box, h("h2", null, "Logged models"), h("p", { class: "error" }, error.message || String(error))));
  return box;
}

function versionsSection(versions) {
  const box = h("section", { class: "registered-versions" }, h("h2", null, "Registered model versions"),
                h("p", { class: "muted" }, "Loading…"));
  versions.then((list) => {
    if (!list.length) {
      replace(box, h("h2", null, "Registered model versions"), h("p", { class: "muted" }, "No registered versions come from this run."));
      return;
    }
    replace(box, h("h2", null, "Registered model versions"), h("table", { class: "grid" },
      h("thead", null, h("tr", null, ["Version", "Stage", "Aliases", "Status", "Registered"].map((t) => h("th", null, t)))),
      h("tbody", null, list.map((v) => h("tr", null,
        h("td", null, versionLink(v.name, v.version)),
        h("td", null, v.current_stage || "None"),
        h("td", null, (v.aliases || []).map((a) => h("span", { class: "badge alias" }, "@" + a))),
        h("td", null, v.status || ""),
        h("td", null, formatTime(v.creation_timestamp)))))));
  }).catch((error) => replace(box, h("h2", null, "Registered model versions"), h("p", { class: "error" }, error.message || String(error))));
  return box;
}

/** The Models tab: models this run logged, and registry versions made from this run. */
export function modelsTab(run) {
  const versions = api.get("2.0/mlflow/model-versions/search", { filter: `run_id = '${run.info.run_id}'`, max_results: MODELS_SHOWN })
    .then((body) => body.model_versions || []);
  const quiet = versions.catch(() => []);
  return h("div", { class: "run-models" }, loggedModelsSection(run, quiet), versionsSection(versions));
}
