// #/compare?runs=a,b,c: params side by side ("only differences"), latest metrics, parallel
// coordinates, overlaid charts; for two runs, a diff of params, metrics, tags and artifacts.

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { formatNumber } from "../format.js";
import { PALETTE } from "../components/chart.js";
import { parallelCoordinates } from "../components/parallel_coordinates.js";

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

function sideBySide(runs, section, onlyDifferences, format = (v) => v) {
  const { keys, maps } = valuesByKey(runs, section);
  const shown = onlyDifferences ? keys.filter((key) => differs(maps, key)) : keys;
  if (!shown.length) return h("p", { class: "muted" }, onlyDifferences ? "No differences." : "None logged.");
  return h("table", { class: `grid compare-${section}` },
    h("thead", null, h("tr", null, h("th", null, "Key"), runs.map((run, i) => h("th", { style: { color: PALETTE[i % PALETTE.length] } },
      run.info.run_name || run.info.run_id.slice(0, 8))))),
    h("tbody", null, shown.map((key) => h("tr", { class: differs(maps, key) ? "differs" : "", dataset: { key } },
      h("td", null, key), maps.map((map) => h("td", null, map.has(key) ? format(map.get(key)) : "—"))))));
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
  return parallelCoordinates(columns, runs.map((run, i) => ({ label: run.info.run_name || run.info.run_id,
                                                             color: PALETTE[i % PALETTE.length] })));
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

export async function render(main, params, query) {
  const ids = (query.get("runs") || "").split(",").filter(Boolean);
  if (ids.length < 2) {
    replace(main, h("h1", null, "Compare runs"), h("p", null, "Choose at least two runs in a runs table to compare them."));
    return;
  }
  const runs = (await Promise.all(ids.map((run_id) => api.get("2.0/mlflow/runs/get", { run_id })))).map((r) => r.run);
  const only = h("input", { type: "checkbox", checked: true, id: "only-differences" });
  const paramsBox = h("div");
  const drawParams = () => replace(paramsBox, sideBySide(runs, "params", only.checked));
  only.addEventListener("change", drawParams);
  drawParams();
  const chartsBox = h("div", { class: "compare-charts" });
  replace(main,
    h("h1", null, `Compare ${runs.length} runs`),
    h("p", null, ...runs.flatMap((run, i) => [i ? " · " : "", h("a", { href: "#/runs/" + run.info.run_id,
      style: { color: PALETTE[i % PALETTE.length] } }, run.info.run_name || run.info.run_id)])),
    h("h2", null, "Params"), h("label", { class: "toolbar" }, only, " Only differences"), paramsBox,
    h("h2", null, "Metrics"), sideBySide(runs, "metrics", false, formatNumber),
    h("h2", null, "Parallel coordinates"), parallelSection(runs),
    runs.length === 2 ? h("h2", null, "Diff") : null,
    runs.length === 2 ? await diffSection(ids[0], ids[1]).catch((e) => h("p", { class: "error" }, e.message)) : null,
    chartsBox);
  const charts = await import("./charts.js");
  const stop = await charts.render(chartsBox, { embedded: true }, new URLSearchParams({ runs: ids.join(",") }));
  return typeof stop === "function" ? stop : undefined;
}
