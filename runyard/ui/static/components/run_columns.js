// The runs table's columns: the fixed run attributes, and one column per chosen metric, param or
// tag. A column id is how the URL names it: "attributes.start_time", "metrics.rmse",
// "params.lr", "tags.team" (keys never contain a comma, so a list of ids joins with ",").
// Each sortable column knows its server order_by term.

import { h } from "../dom.js";
import { formatDuration, formatNumber, formatTime } from "../format.js";

export const KINDS = ["metrics", "params", "tags"];
const KIND_WIDTH = { metrics: 110, params: 110, tags: 130 };

/** One run from runs/search, indexed for the table. */
export function toRow(run) {
  const data = run.data || {};
  const metrics = new Map((data.metrics || []).map((m) => [m.key, m.value]));
  const params = new Map((data.params || []).map((p) => [p.key, p.value]));
  const tags = new Map((data.tags || []).map((t) => [t.key, t.value]));
  return { id: run.info.run_id, info: run.info, metrics, params, tags,
           parentId: tags.get("mlflow.parentRunId") || null };
}

/** A key in the search grammar: backticks, so dots, spaces and colons in keys stay inside it. */
export function quoteKey(key) {
  return "`" + key + "`";
}

export function quoteValue(value) {
  return "'" + String(value).replace(/'/g, "''") + "'";
}

function attribute(id, label, width, value, orderBy = "attributes." + id) {
  return { id: "attributes." + id, label, width, sortable: Boolean(orderBy), orderBy, value };
}

const STATUS = (row) => h("span", { class: "status-" + row.info.status }, row.info.status || "");

const SOURCE = (row) => {
  const source = row.tags.get("mlflow.source.name") || "";
  return h("span", { title: source }, source.split(/[\\/]/).pop());
};

/** The attribute columns, in table order (run name first; its cell is built by the page). */
export const ATTRIBUTE_COLUMNS = [
  attribute("run_name", "Run name", 240, null),
  attribute("status", "Status", 90, STATUS),
  attribute("start_time", "Start time", 172, (row) => formatTime(row.info.start_time)),
  { id: "duration", label: "Duration", width: 90, sortable: false, title: "end time − start time (not sortable)",
    value: (row) => formatDuration(row.info.start_time, row.info.end_time) },
  attribute("user_id", "User", 100, (row) => row.info.user_id || ""),
  { id: "tags.mlflow.source.name", label: "Source", width: 150, sortable: true,
    orderBy: "tags." + quoteKey("mlflow.source.name"), value: SOURCE },
];

/** {kind, key} of an id such as "metrics.val loss", or null when the kind is not a key kind. */
export function parseColumnId(id) {
  const dot = id.indexOf(".");
  if (dot < 0) return null;
  const kind = id.slice(0, dot), key = id.slice(dot + 1);
  return KINDS.includes(kind) && key ? { kind, key } : null;
}

export function keyColumn(kind, key) {
  const read = (row) => row[kind].get(key);
  const value = kind === "metrics"
    ? (row) => formatNumber(read(row))
    : (row) => { const text = read(row); return text === undefined ? "" : h("span", { title: text }, text); };
  return { id: kind + "." + key, kind, key, label: key, title: kind + "." + key, width: KIND_WIDTH[kind],
           className: "kind-" + kind, sortable: true, orderBy: kind + "." + quoteKey(key), value };
}

/** The column for an id: an attribute column, a key column, or null for an unknown id. */
export function columnFor(id) {
  const fixed = ATTRIBUTE_COLUMNS.find((c) => c.id === id);
  if (fixed) return fixed;
  const parsed = parseColumnId(id);
  return parsed ? keyColumn(parsed.kind, parsed.key) : null;
}

/**
 * The order_by list for runs/search; the run id breaks ties so paging by offset is stable. No
 * sort: the server's default order (start time, newest first, then run id), left unsaid.
 */
export function orderByFor(sort) {
  const column = sort && columnFor(sort.id);
  if (!column || !column.sortable) return undefined;
  return [column.orderBy + (sort.desc ? " DESC" : " ASC"), "attributes.run_id ASC"];
}

/** The first few keys the first page of runs holds, as default columns. */
export function defaultColumnIds(rows, perKind = { metrics: 4, params: 4, tags: 0 }) {
  const ids = [];
  for (const kind of KINDS) {
    const seen = new Set();
    for (const row of rows) {
      for (const key of row[kind].keys()) {
        if (seen.size >= perKind[kind]) break;
        if (!key.startsWith("mlflow.")) seen.add(key);
      }
      if (seen.size >= perKind[kind]) break;
    }
    for (const key of [...seen]) ids.push(kind + "." + key);
  }
  return ids;
}
