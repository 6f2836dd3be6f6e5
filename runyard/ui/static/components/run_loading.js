// Reading many runs at once for the compare and charts pages: runs by id through runs/search (one
// request per experiment, not one per run), per-run metric summaries, one metric's downsampled
// series for many runs.

import { api } from "../api.js";

const SEARCH_CHUNK = 300;       // ids per IN (...) filter: well below the filter's length limit
const SUMMARY_CHUNK = 500;      // the summaries route's limit on run ids
const BULK_CHUNK = 200;         // the downsampled-bulk route's limit on run ids
const SAFE_ID = /^[A-Za-z0-9_-]+$/;

/** A metric value from the wire ("NaN", "Infinity" and "-Infinity" arrive as strings). */
export function number(value) {
  if (typeof value === "number") return value;
  if (value === "NaN") return NaN;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  if (value === null || value === undefined) return NaN;
  return Number(value);
}

function chunks(items, size) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function searchIn(experimentId, ids) {
  const found = await Promise.all(chunks(ids, SEARCH_CHUNK).map((chunk) => api.post("2.0/mlflow/runs/search", {
    experiment_ids: [experimentId],
    filter: `attributes.run_id IN (${chunk.map((id) => `'${id}'`).join(", ")})`,
    max_results: chunk.length,
    run_view_type: "ALL",
  })));
  return found.flatMap((body) => body.runs || []);
}

/**
 * The runs with these ids, in this order (duplicates dropped). The first unread run is read with
 * runs/get to learn its experiment; every other id is then looked up in that experiment with one
 * runs/search. Runs of other experiments take one more round each. A missing run fails with
 * runs/get's error, as opening it would.
 */
export async function loadRuns(ids) {
  const unique = [...new Set(ids)];
  const found = new Map();
  const searched = new Set();
  while (found.size < unique.length) {
    const next = unique.find((id) => !found.has(id));
    const { run } = await api.get("2.0/mlflow/runs/get", { run_id: next });
    found.set(next, run);
    const experimentId = run.info.experiment_id;
    if (searched.has(experimentId)) continue;
    searched.add(experimentId);
    const rest = unique.filter((id) => !found.has(id) && SAFE_ID.test(id));
    if (!rest.length) continue;
    for (const other of await searchIn(experimentId, rest)) found.set(other.info.run_id, other);
  }
  return unique.map((id) => {
    const run = found.get(id);
    for (const key of ["params", "metrics", "tags"]) run.data[key] = run.data[key] || [];
    return run;
  });
}

/** Map "runId\u0000key" -> {last, last_step, min, min_step, max, max_step, mean, count}; values as numbers. */
export async function metricSummaries(runIds, metricKeys) {
  const bodies = await Promise.all(chunks([...new Set(runIds)], SUMMARY_CHUNK).map((chunk) =>
    api.post("2.0/runyard/metrics/summaries", metricKeys ? { run_ids: chunk, metric_keys: metricKeys } : { run_ids: chunk })));
  const summaries = new Map();
  for (const body of bodies) {
    for (const s of body.summaries || []) {
      summaries.set(s.run_id + "\u0000" + s.key, {
        ...s, last: number(s.last),
        min: s.min === null ? null : number(s.min),
        max: s.max === null ? null : number(s.max),
        mean: s.mean === null ? null : number(s.mean),
      });
    }
  }
  return summaries;
}

/** One metric's downsampled series of many runs: [{run_id, points, total_points, downsampled}] in run order. */
export async function bulkSeries(runIds, query) {
  const bodies = await Promise.all(chunks(runIds, BULK_CHUNK).map((chunk) =>
    api.post("2.0/runyard/metrics/downsampled-bulk", { ...query, run_ids: chunk })));
  return bodies.flatMap((body) => body.series || []);
}
