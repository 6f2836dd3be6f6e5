// A virtualized grid: one scroll container, a sticky header, and only the rows in (or near) the
// viewport in the DOM. Rows have one fixed height, so row i sits at i * rowHeight and the scroll
// range is rowCount * rowHeight: no measuring, and 100,000 rows cost what 40 do.
//
// The caller owns the data. `renderRow(i)` returns `{cells, className, attrs}` for row i (cells
// may be placeholders while its page loads; with fewer cells than columns the last one spans the
// rest); `onRange(first, last)` says which rows are wanted so the caller can fetch them;
// `refresh()` redraws after the data changed.

import { h, clear } from "../dom.js";

const OVERSCAN = 10;

export class VirtualTable {
  constructor({ rowHeight = 28, label = "Table", renderRow, onRange, onSort }) {
    this.rowHeight = rowHeight;
    this.renderRow = renderRow;
    this.onRange = onRange || (() => {});
    this.onSort = onSort || (() => {});
    this.columns = [];
    this.sort = null;
    this.rowCount = 0;
    this.rows = new Map();
    this.frame = 0;
    this.header = h("div", { class: "vt-header", role: "row" });
    this.body = h("div", { class: "vt-body", role: "rowgroup" });
    this.grid = h("div", { class: "vt-grid", role: "table", "aria-label": label, "aria-rowcount": 0 },
                  h("div", { role: "rowgroup", class: "vt-head-group" }, this.header), this.body);
    this.element = h("div", { class: "vt-scroller", tabindex: 0, onscroll: () => this.schedule() }, this.grid);
    this.resizeObserver = new ResizeObserver(() => this.schedule());
    this.resizeObserver.observe(this.element);
  }

  /** columns: [{id, label, width, title, className, sortable}]; sort: {id, desc} or null. */
  setColumns(columns, sort) {
    this.columns = columns;
    this.sort = sort;
    const widths = columns.map((c) => (c.width || 120) + "px").join(" ");
    this.grid.style.setProperty("--vt-cols", widths);
    this.grid.style.width = columns.reduce((sum, c) => sum + (c.width || 120), 0) + "px";
    clear(this.header);
    for (const column of columns) this.header.appendChild(this.headerCell(column));
    this.refresh();
  }

  headerCell(column) {
    const sorted = this.sort && this.sort.id === column.id;
    const ariaSort = sorted ? (this.sort.desc ? "descending" : "ascending") : (column.sortable ? "none" : null);
    const cls = "vt-cell vt-head " + (column.className || "");
    if (!column.sortable) {
      return h("div", { class: cls, role: "columnheader", title: column.title, dataset: { column: column.id } },
               column.label);
    }
    const arrow = sorted ? (this.sort.desc ? " ↓" : " ↑") : "";
    return h("div", { class: cls + (sorted ? " sorted" : ""), role: "columnheader", "aria-sort": ariaSort,
                      dataset: { column: column.id } },
      h("button", { class: "vt-sort", title: (column.title || column.label) + " (click to sort)",
                    onclick: () => this.onSort(column) }, column.label, arrow));
  }

  setRowCount(count) {
    this.rowCount = count;
    this.body.style.height = count * this.rowHeight + "px";
    this.grid.setAttribute("aria-rowcount", String(count));
    this.refresh();
  }

  /** Drop every drawn row and draw again (the data behind them changed). */
  refresh() {
    for (const row of this.rows.values()) row.remove();
    this.rows.clear();
    this.schedule();
  }

  scrollToTop() {
    this.element.scrollTop = 0;
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  draw() {
    const headerHeight = this.header.offsetHeight;
    const top = Math.max(0, this.element.scrollTop - headerHeight);
    const height = this.element.clientHeight;
    const first = Math.max(0, Math.floor(top / this.rowHeight) - OVERSCAN);
    const last = Math.min(this.rowCount, Math.ceil((top + height) / this.rowHeight) + OVERSCAN);
    for (const [index, row] of this.rows) {
      if (index < first || index >= last) {
        row.remove();
        this.rows.delete(index);
      }
    }
    for (let index = first; index < last; index++) {
      if (this.rows.has(index)) continue;
      const row = this.buildRow(index);
      this.body.appendChild(row);
      this.rows.set(index, row);
    }
    this.onRange(first, last);
  }

  buildRow(index) {
    const { cells, className, attrs } = this.renderRow(index);
    const row = h("div", { ...(attrs || {}), class: "vt-row " + (className || ""), role: "row",
                           "aria-rowindex": index + 1 },
      cells.map((content, i) => h("div", { class: "vt-cell " + (this.columns[i]?.className || ""),
                                            role: "cell" }, content)));
    if (cells.length && cells.length < this.columns.length) {
      // Fewer cells than columns: the last one spans the rest of the row (a note, say).
      row.lastChild.style.gridColumn = `${cells.length} / -1`;
    }
    row.style.top = index * this.rowHeight + "px";
    row.style.height = this.rowHeight + "px";
    return row;
  }

  destroy() {
    this.resizeObserver.disconnect();
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
  }
}
