// #/experiments/<id>[,<id>...]: the runs table of one or more experiments.
//
// Everything the server can do, it does: filtering, sorting, counting, paging, grouping. The
// browser keeps a few pages of runs and draws only the rows in view, so 100,000 runs scroll like
// 100. The table's state (filter, sort, columns, view, grouping, nesting) lives in the URL query.

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { setQuery, showError } from "../app.js";
import { VirtualTable } from "../components/virtual_table.js";
import { ATTRIBUTE_COLUMNS, columnFor, defaultColumnIds, orderByFor, parseColumnId } from "../components/run_columns.js";
import { RunPager } from "../components/run_pager.js";
import { RunLayout } from "../components/run_layout.js";
import { GroupView, groupClause, joinFilters } from "../components/run_groups.js";
import { columnChooser } from "../components/column_chooser.js";
import { groupCells, groupColumns, placeholderCells, runCells, sortGroups } from "../components/run_cells.js";
import { runToolbar } from "../components/run_toolbar.js";

const VIEWS = { active: "ACTIVE_ONLY", deleted: "DELETED_ONLY", all: "ALL" };
const DEFAULT_SORT = { id: "attributes.start_time", desc: true };
const SELECT_COLUMN = { id: "select", label: "", width: 34, className: "select-cell" };

function readState(query) {
  const cols = query.get("cols");
  return {
    filter: query.get("filter") || "",
    sort: query.get("sort") ? { id: query.get("sort"), desc: query.get("dir") === "desc" } : null,
    columns: cols === null ? null : cols === "none" ? [] : cols.split(",").filter((id) => parseColumnId(id)),
    view: VIEWS[query.get("view")] ? query.get("view") : "active",
    group: query.get("group") && parseColumnId(query.get("group")) ? query.get("group") : "",
    nested: query.get("flat") !== "1",
  };
}

function writeState(state) {
  setQuery({
    filter: state.filter,
    sort: state.sort ? state.sort.id : null,
    dir: state.sort ? (state.sort.desc ? "desc" : "asc") : null,
    cols: state.columns === null ? null : state.columns.length ? state.columns.join(",") : "none",
    view: state.view === "active" ? null : state.view,
    group: state.group,
    flat: state.nested ? null : "1",
  });
}

/** The page title; `names` (experiment id -> name) fills in as the experiments arrive. */
function experimentTitle(experimentIds, names, onNames) {
  const title = h("h1", null, "Runs");
  Promise.all(experimentIds.map((id) => api.get("2.0/mlflow/experiments/get", { experiment_id: id })
    .then((body) => body.experiment.name, () => `experiment ${id} (not found)`)))
    .then((found) => {
      found.forEach((name, i) => names.set(experimentIds[i], name));
      title.textContent = "Runs · " + found.join(", ");
      onNames();
    });
  return title;
}

export async function render(main, params, query) {
  const experimentIds = params.ids.split(",").map((id) => id.trim()).filter(Boolean);
  const state = readState(query);
  const selected = new Map(); // run id -> lifecycle_stage
  const expanded = new Set();
  let pager = null, layout = null, groups = null, generation = 0;

  const chosen = () => state.columns || [];
  const chosenMetrics = () => chosen().map(parseColumnId).filter((c) => c.kind === "metrics").map((c) => c.key);
  const names = new Map();
  // Runs of several experiments say which one each belongs to (not sortable: it is not a run field).
  const experimentColumn = { id: "experiment", label: "Experiment", width: 140, sortable: false,
                             value: (row) => names.get(row.info.experiment_id) || row.info.experiment_id };
  const runColumns = () => [SELECT_COLUMN, ATTRIBUTE_COLUMNS[0], ...(experimentIds.length > 1 ? [experimentColumn] : []),
                            ...ATTRIBUTE_COLUMNS.slice(1), ...chosen().map(columnFor)];

  const table = new VirtualTable({
    label: "Runs",
    renderRow: (index) => (groups ? groupRow(index) : runRow(index)),
    onRange: (first, last) => { if (pager && layout) pager.want(layout.pagesFor(first, last)); },
    onSort: (column) => sortBy(column),
  });

  const runRow = (index) => {
    const columns = table.columns;
    const { entry } = layout ? layout.locate(index) : { entry: null };
    if (!entry) return { cells: placeholderCells(columns), className: "loading" };
    const { row } = entry;
    return {
      cells: runCells(entry, columns, { selected, onSelect: select, onToggle: toggleChildren }),
      className: (row.info.lifecycle_stage === "deleted" ? "deleted " : "") + (entry.depth ? "child" : ""),
      attrs: { dataset: { runId: row.id } },
    };
  };

  const groupRow = (index) => {
    const entry = groups.list[index];
    return { cells: groupCells(entry, groups.metrics, (i) => groups.toggle(i), showGroupRuns),
             className: "group-" + entry.type };
  };

  // A group too big to open in place becomes the filter, ungrouped.
  const showGroupRuns = (group) => {
    state.filter = joinFilters(state.filter, groupClause(state.group, group.value));
    state.group = "";
    writeState(state);
    toolbar.reset(state);
    refresh();
  };

  const select = (row, on) => {
    if (on) selected.set(row.id, row.info.lifecycle_stage);
    else selected.delete(row.id);
    toolbar.updateSelection(selected);
  };

  const toggleChildren = (runId) => {
    if (expanded.has(runId)) expanded.delete(runId);
    else expanded.add(runId);
    layout.invalidate();
    table.setRowCount(layout.total);
  };

  const sortBy = (column) => {
    if (groups) {
      groups.sort = groups.sort && groups.sort.id === column.id ? { id: column.id, desc: !groups.sort.desc }
                                                                : { id: column.id, desc: false };
      sortGroups(groups.groups, groups.sort);
      groups.rebuild();
      table.setColumns(table.columns, groups.sort);
      return;
    }
    const current = state.sort || DEFAULT_SORT;
    state.sort = current.id === column.id ? { id: column.id, desc: !current.desc } : { id: column.id, desc: false };
    writeState(state);
    refresh();
  };

  const showColumns = () => {
    if (groups) table.setColumns(groupColumns(state.group, groups.metrics), groups.sort || null);
    else table.setColumns(runColumns(), state.sort || DEFAULT_SORT);
  };

  /** Runs the current state's query; on failure keeps the rows shown and says why next to the filter. */
  const refresh = async ({ keepScroll = false } = {}) => {
    const mine = ++generation;
    toolbar.busy(true);
    table.element.classList.add("busy");
    const common = { experimentIds, filter: state.filter, viewType: VIEWS[state.view] };
    const next = state.group
      ? new GroupView({ ...common, groupBy: state.group, metrics: chosenMetrics(), orderBy: orderByFor(state.sort),
                        onChange: () => { if (groups === next) table.setRowCount(next.list.length); } })
      : new RunPager({ ...common, orderBy: orderByFor(state.sort), onPage: (page, error) => pageArrived(next, page, error),
                       onCount: () => countArrived(next) });
    try {
      await next.start();
    } catch (error) {
      next.destroy();
      if (mine !== generation || error.name === "AbortError") return;
      toolbar.busy(false);
      table.element.classList.remove("busy");
      toolbar.showFilterError(error.message);
      return;
    }
    if (mine !== generation) { next.destroy(); return; }
    toolbar.busy(false);
    table.element.classList.remove("busy");
    toolbar.showFilterError(null);
    if (pager) pager.destroy();
    if (groups) groups.destroy();
    const scroll = table.element.scrollTop;
    if (state.group) {
      pager = null; layout = null; groups = next;
      showColumns();
      table.setRowCount(groups.list.length);
      toolbar.showSummary(groups.count, groups.elapsed, `${groups.groups.length} group${groups.groups.length === 1 ? "" : "s"}` +
                          (groups.truncated ? " (first ones only)" : ""));
    } else {
      groups = null; pager = next;
      if (state.columns === null) {
        state.columns = defaultColumnIds(pager.page(0));
        writeState(state);
        chooser.update();
      }
      layout = new RunLayout(pager, { nested: state.nested, expanded });
      showColumns();
      table.setRowCount(layout.total);
      toolbar.showSummary(pager.exactCount ? pager.count : pager.atLeast, pager.elapsed, null, !pager.exactCount);
    }
    if (keepScroll) table.element.scrollTop = scroll;
    else table.scrollToTop();
  };

  const pageArrived = (source, page, error) => {
    if (source !== pager) return;
    if (error) { showError(error); return; }
    layout.invalidate(page);
    table.setRowCount(layout.total);
    toolbar.showSummary(pager.exactCount ? pager.count : pager.atLeast, pager.elapsed, null, !pager.exactCount);
  };

  const countArrived = (source) => {
    if (source !== pager || !layout) return; // not shown yet: the swap reads the count itself
    layout.rebuild();
    table.setRowCount(layout.total);
    toolbar.showSummary(pager.count, pager.elapsed, null, false);
  };

  const chooser = columnChooser({
    experimentIds,
    chosen,
    onToggle: (id, on) => {
      const ids = chosen().filter((c) => c !== id);
      if (on) ids.push(id);
      state.columns = ids;
      writeState(state);
      if (groups && parseColumnId(id).kind === "metrics") refresh();
      else showColumns();
    },
  });

  const toolbar = runToolbar({
    experimentIds, state, chooser,
    onFilter: (text) => { state.filter = text; writeState(state); refresh(); },
    onView: (view) => { state.view = view; selected.clear(); toolbar.updateSelection(selected); writeState(state); refresh(); },
    onGroup: (group) => { state.group = group; writeState(state); refresh(); },
    onNested: (nested) => {
      state.nested = nested;
      writeState(state);
      if (layout) { layout.nested = nested; layout.invalidate(); table.setRowCount(layout.total); }
    },
    onCompare: () => { location.hash = "#/compare?runs=" + [...selected.keys()].join(","); },
    onLifecycle: async (action) => {
      const ids = [...selected.entries()].filter(([, stage]) => (action === "delete" ? stage !== "deleted" : stage === "deleted"))
        .map(([id]) => id);
      await Promise.all(ids.map((run_id) => api.post(`2.0/mlflow/runs/${action}`, { run_id })));
      selected.clear();
      toolbar.updateSelection(selected);
      await refresh({ keepScroll: true });
      return ids;
    },
    onUndo: async (action, ids) => {
      await Promise.all(ids.map((run_id) => api.post(`2.0/mlflow/runs/${action}`, { run_id })));
      await refresh({ keepScroll: true });
    },
  });

  replace(main, h("div", { class: "runs-page" },
    h("nav", { class: "crumbs" }, h("a", { href: "#/experiments" }, "Experiments"), " / "),
    experimentTitle(experimentIds, names, () => table.refresh()), toolbar.element, table.element));
  toolbar.updateSelection(selected);
  await refresh();

  return () => {
    generation++;
    if (pager) pager.destroy();
    if (groups) groups.destroy();
    table.destroy();
    chooser.destroy();
  };
}
