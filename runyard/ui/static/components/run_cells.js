// The cells of one runs-table row (a run, a group, or a note), as arrays the virtual table wraps.

import { h } from "../dom.js";
import { formatNumber } from "../format.js";

function runName(row) {
  return row.info.run_name || row.id.slice(0, 8);
}

/** The run-name cell: indentation, the children toggle, the parent marker and the link. */
export function nameCell(entry, onToggle) {
  const { row, depth, childCount, expanded, orphan } = entry;
  const name = runName(row);
  const parts = [];
  if (childCount) {
    parts.push(h("button", { type: "button", class: "twisty", "aria-expanded": String(Boolean(expanded)),
                             "aria-label": (expanded ? "Collapse" : "Expand") + " child runs of " + name,
                             title: `${childCount} child run${childCount === 1 ? "" : "s"}`,
                             onclick: () => onToggle(row.id) },
                    expanded ? "▾" : "▸"));
  } else {
    parts.push(h("span", { class: "twisty-space" }));
  }
  if (orphan) {
    parts.push(h("a", { class: "parent-mark", href: "#/runs/" + encodeURIComponent(row.parentId),
                        title: "Child of run " + row.parentId + " (the parent is not on this page of results)" }, "↳"));
  }
  parts.push(h("a", { class: "run-link", href: "#/runs/" + encodeURIComponent(row.id), title: name }, name));
  if (childCount) parts.push(h("span", { class: "muted child-count" }, `(${childCount})`));
  const cell = h("span", { class: "name-cell" }, parts);
  cell.style.paddingLeft = depth * 18 + "px";
  return cell;
}

export function checkboxCell(row, selected, onSelect) {
  return h("input", { type: "checkbox", checked: selected.has(row.id), "aria-label": "Select run " + runName(row),
                      onchange: (event) => onSelect(row, event.target.checked) });
}

/** Cells of a run row: checkbox, name, then every other column's value. */
export function runCells(entry, columns, { selected, onSelect, onToggle }) {
  return columns.map((column) => {
    if (column.id === "select") return checkboxCell(entry.row, selected, onSelect);
    if (column.id === "attributes.run_name") return nameCell(entry, onToggle);
    return column.value ? column.value(entry.row) : "";
  });
}

export function placeholderCells(columns) {
  return columns.map((column) => (column.id === "attributes.run_name" ? h("span", { class: "muted" }, "…") : ""));
}

function stat(value) {
  return value === undefined || value === null ? "" : formatNumber(value);
}

/** Cells of the grouped table: toggle, value, count, then mean/min/max per metric. */
export function groupCells(entry, metrics, onToggle, onShowAll) {
  if (entry.type === "group") {
    const { group, expanded, index } = entry;
    const label = group.value === null || group.value === undefined ? "(not set)" : String(group.value);
    const cells = [
      h("button", { type: "button", class: "twisty", "aria-expanded": String(expanded),
                    "aria-label": (expanded ? "Collapse" : "Expand") + " group " + label, onclick: () => onToggle(index) },
        expanded ? "▾" : "▸"),
      h("span", { class: "group-value", title: label }, label),
      String(group.count),
    ];
    for (const key of metrics) {
      const stats = (group.metrics || {})[key] || {};
      cells.push(stat(stats.mean), stat(stats.min), stat(stats.max));
    }
    return cells;
  }
  if (entry.type === "run") {
    const { row } = entry;
    // A run's own value goes under "mean": the one number a single run has.
    const cells = ["", nameCell({ row, depth: 1, childCount: 0 }, () => {}), ""];
    for (const key of metrics) cells.push(formatNumber(row.metrics.get(key)), "", "");
    return cells;
  }
  const note = h("span", { class: "muted note-cell" }, entry.text);
  if (entry.more) {
    note.append(" · ", h("button", { type: "button", class: "link", onclick: () => onShowAll(entry.group) },
                         "show all as a filter"));
  }
  return ["", note];
}

/** The grouped table's columns; sorting them sorts the (already complete) list of groups. */
export function groupColumns(groupBy, metrics) {
  const columns = [
    { id: "toggle", label: "", width: 34 },
    { id: "group", label: groupBy, width: 240, sortable: true, title: "Group value" },
    { id: "count", label: "Runs", width: 80, sortable: true },
  ];
  for (const key of metrics) {
    for (const agg of ["mean", "min", "max"]) {
      columns.push({ id: `${agg}:${key}`, label: `${key} ${agg}`, width: 140, sortable: true,
                     className: "kind-metrics", title: `${agg} of metrics.${key} over the group's runs` });
    }
  }
  return columns;
}

/** Sort groups in place by a group-table column id. */
export function sortGroups(groups, sort) {
  if (!sort) return;
  const key = (group) => {
    if (sort.id === "group") return group.value;
    if (sort.id === "count") return Number(group.count);
    const [agg, metric] = [sort.id.slice(0, sort.id.indexOf(":")), sort.id.slice(sort.id.indexOf(":") + 1)];
    return ((group.metrics || {})[metric] || {})[agg];
  };
  const sign = sort.desc ? -1 : 1;
  groups.sort((a, b) => {
    const x = key(a), y = key(b);
    if (x === y) return 0;
    if (x === undefined || x === null) return 1; // missing values last either way
    if (y === undefined || y === null) return -1;
    if (typeof x === "number" && typeof y === "number") return (x - y) * sign;
    return String(x).localeCompare(String(y), undefined, { numeric: true }) * sign;
  });
}
