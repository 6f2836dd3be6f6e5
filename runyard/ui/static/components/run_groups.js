// Grouped runs: one row per value of a param or tag with its run count and the mean, min and max
// of the chosen metrics, all computed by the server (runyard's group route) so the browser never
// needs every run. A group opens to show its first runs (a filtered runs/search).

import { api } from "../api.js";
import { parseColumnId, quoteKey, quoteValue, toRow } from "./run_columns.js";

export const GROUP_RUNS_LIMIT = 50;

/** The filter clause that selects one group's runs. */
export function groupClause(groupBy, value) {
  const { kind, key } = parseColumnId(groupBy);
  const target = kind + "." + quoteKey(key);
  return value === null || value === undefined ? `${target} IS NULL` : `${target} = ${quoteValue(value)}`;
}

export function joinFilters(...parts) {
  return parts.map((p) => (p || "").trim()).filter(Boolean).join(" and ");
}

export class GroupView {
  constructor({ experimentIds, filter, viewType, groupBy, metrics, orderBy, onChange }) {
    this.query = { experiment_ids: experimentIds, filter: filter || undefined, run_view_type: viewType };
    this.groupBy = groupBy;
    this.metrics = metrics;
    this.orderBy = orderBy;
    this.onChange = onChange || (() => {});
    this.groups = [];
    this.truncated = false;
    this.open = new Map(); // group value -> {rows} or {error} once loaded, {} while loading
    this.controller = new AbortController();
    this.list = [];
  }

  async start() {
    const began = performance.now();
    const body = await api.post("2.0/runyard/runs/group", { ...this.query, group_by: this.groupBy,
                                                           metrics: this.metrics }, this.controller.signal);
    this.groups = body.groups || [];
    this.truncated = Boolean(body.truncated);
    this.count = this.groups.reduce((sum, g) => sum + Number(g.count || 0), 0);
    this.elapsed = performance.now() - began;
    this.rebuild();
    return this;
  }

  /** The table rows: a group, then (when open) its runs and a note when it holds more. */
  rebuild() {
    const list = [];
    this.groups.forEach((group, index) => {
      const state = this.open.get(group.value);
      list.push({ type: "group", group, index, expanded: Boolean(state) });
      if (!state) return;
      if (!state.rows) list.push({ type: "note", text: state.error || "Loading runs…", group, index });
      else {
        for (const row of state.rows) list.push({ type: "run", row, group, index });
        if (Number(group.count) > state.rows.length) {
          list.push({ type: "note", more: true, text: `First ${state.rows.length} of ${group.count} runs`, group, index });
        }
      }
    });
    this.list = list;
  }

  async toggle(index) {
    const value = this.groups[index].value;
    if (this.open.has(value)) {
      this.open.delete(value);
      this.rebuild();
      this.onChange();
      return;
    }
    const state = {};
    this.open.set(value, state);
    this.rebuild();
    this.onChange();
    const filter = joinFilters(this.query.filter, groupClause(this.groupBy, value));
    try {
      const body = await api.post("2.0/mlflow/runs/search", { ...this.query, filter, order_by: this.orderBy,
                                                              max_results: GROUP_RUNS_LIMIT }, this.controller.signal);
      state.rows = (body.runs || []).map(toRow);
    } catch (error) {
      if (error.name === "AbortError") return;
      state.error = error.message;
    }
    if (this.open.get(value) !== state) return;
    this.rebuild();
    this.onChange();
  }

  destroy() {
    this.controller.abort();
  }
}
