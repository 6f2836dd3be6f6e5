// Which run goes on which table row. Pages keep the server's order; with nesting on, a run whose
// parent (tag mlflow.parentRunId) is on the same page moves under that parent, indented, and shows
// only while the parent is expanded. A run whose parent is on another page (or not in the result
// at all) stays where the server put it, marked as a child: nesting is decided per page, so the
// table never has to load every page to place one child.

export function nestPage(rows, expanded) {
  const onPage = new Set(rows.map((row) => row.id));
  const children = new Map();
  const top = [];
  for (const row of rows) {
    if (row.parentId && row.parentId !== row.id && onPage.has(row.parentId)) {
      if (!children.has(row.parentId)) children.set(row.parentId, []);
      children.get(row.parentId).push(row);
    } else {
      top.push(row);
    }
  }
  const out = [];
  const placed = new Set();
  const visit = (row, depth) => {
    if (placed.has(row.id)) return;
    placed.add(row.id);
    const kids = children.get(row.id) || [];
    const open = expanded.has(row.id);
    out.push({ row, depth, childCount: kids.length, expanded: open,
               orphan: Boolean(row.parentId && !onPage.has(row.parentId)) });
    if (open) for (const kid of kids) visit(kid, depth + 1);
  };
  for (const row of top) visit(row, 0);
  // Children of collapsed parents are hidden; a parent cycle (a -> b -> a) would hide both, so
  // anything neither placed nor under a placed collapsed parent goes at the end of its page.
  const hidden = new Set();
  const hide = (id) => {
    for (const kid of children.get(id) || []) {
      if (placed.has(kid.id) || hidden.has(kid.id)) continue;
      hidden.add(kid.id);
      hide(kid.id);
    }
  };
  for (const id of placed) if (!expanded.has(id)) hide(id);
  for (const row of rows) if (!placed.has(row.id) && !hidden.has(row.id)) visit(row, 0);
  return out;
}

/** Maps table rows to page entries; rebuilt when a page arrives or a parent opens or closes. */
export class RunLayout {
  constructor(pager, { nested, expanded }) {
    this.pager = pager;
    this.nested = nested;
    this.expanded = expanded;
    this.cache = new Map();
    this.rebuild();
  }

  entries(page) {
    const rows = this.pager.page(page);
    if (!rows) return null;
    let entries = this.cache.get(page);
    if (!entries || entries.rows !== rows) {
      entries = this.nested ? nestPage(rows, this.expanded) : rows.map((row) => ({ row, depth: 0, childCount: 0 }));
      entries.rows = rows;
      this.cache.set(page, entries);
    }
    return entries;
  }

  invalidate(page) {
    if (page === undefined) this.cache.clear();
    else this.cache.delete(page);
    this.rebuild();
  }

  rebuild() {
    const count = this.pager.pageCount;
    this.starts = new Array(count + 1);
    let total = 0;
    for (let page = 0; page < count; page++) {
      this.starts[page] = total;
      const entries = this.entries(page);
      total += entries ? entries.length : this.pager.nominalSize(page);
    }
    this.starts[count] = total;
    this.total = total;
    for (const page of [...this.cache.keys()]) if (!this.pager.page(page)) this.cache.delete(page);
  }

  /** {page, offset, entry} of a table row (entry is null while its page loads). */
  locate(index) {
    let lo = 0, hi = this.pager.pageCount - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    const entries = this.entries(lo);
    const offset = index - this.starts[lo];
    return { page: lo, offset, entry: entries ? entries[offset] || null : null };
  }

  /** Pages covering table rows [first, last), then the page after them. */
  pagesFor(first, last) {
    if (!this.total) return [];
    const from = this.locate(first).page;
    const to = this.locate(Math.max(first, Math.min(last, this.total) - 1)).page;
    const pages = [];
    for (let page = from; page <= to; page++) pages.push(page);
    pages.push(to + 1);
    return pages;
  }
}
