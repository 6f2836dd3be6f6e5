// Pages of runs for one query (experiments, filter, order, view), fetched as the table asks for
// them. runyard keeps MLflow's page token ("offset" in base64 JSON), so any page can be fetched
// directly: dragging the scrollbar to the middle of 100,000 runs costs one request, not 250.
// At most MAX_PAGES stay in memory; the ones farthest from what the user looks at go first.

import { api } from "../api.js";
import { toRow } from "./run_columns.js";

const MAX_PAGES = 60;
const MAX_IN_FLIGHT = 3;

export function offsetToken(offset) {
  return offset > 0 ? btoa(JSON.stringify({ offset })) : undefined;
}

export class RunPager {
  constructor({ experimentIds, filter, orderBy, viewType, pageSize = 200, onPage, onCount }) {
    this.query = { experiment_ids: experimentIds, filter: filter || undefined, order_by: orderBy,
                   run_view_type: viewType };
    this.pageSize = pageSize;
    this.onPage = onPage || (() => {});
    this.onCount = onCount || (() => {});
    this.pages = new Map();
    this.loading = new Set();
    this.failed = new Set();
    this.wanted = [];
    this.count = 0;
    this.exactCount = false;
    this.counted = false;
    this.controller = new AbortController();
  }

  /**
   * The first page; throws the server's error (an invalid filter, say). The count comes from its
   * own request, answered in parallel: rows show as soon as the first page is there, and until the
   * count arrives the total is "at least" what the pages say (counting a large filtered set can
   * take longer than one page of it).
   */
  async start() {
    const began = performance.now();
    api.get("2.0/runyard/runs/count", {
      experiment_ids: this.query.experiment_ids, filter: this.query.filter, run_view_type: this.query.run_view_type,
    }, this.controller.signal).then((body) => {
      this.countMs = performance.now() - began;
      this.setCount(Number(body.count));
    }, () => {}); // without runyard's count route the total grows as pages arrive
    const first = await this.fetch(0);
    this.pages.set(0, first.rows);
    this.elapsed = performance.now() - began;
    if (!first.more) this.setCount(first.rows.length, true);
    else if (!this.counted) this.count = first.rows.length + this.pageSize;
    return this;
  }

  setCount(count, quiet = false) {
    if (this.counted && this.count === count) return;
    this.count = count;
    this.counted = this.exactCount = true;
    if (!quiet) this.onCount();
  }

  async fetch(page) {
    const body = await api.post("2.0/mlflow/runs/search", {
      ...this.query, max_results: this.pageSize, page_token: offsetToken(page * this.pageSize),
    }, this.controller.signal);
    return { rows: (body.runs || []).map(toRow), more: Boolean(body.next_page_token) };
  }

  /** Runs known to exist from the pages loaded so far (the total while it is not counted). */
  get atLeast() {
    let end = 0;
    for (const [index, rows] of this.pages) end = Math.max(end, index * this.pageSize + rows.length);
    return end;
  }

  get pageCount() {
    return Math.ceil(this.count / this.pageSize);
  }

  /** The rows of a page, or undefined while it is not loaded. */
  page(index) {
    return this.pages.get(index);
  }

  /** Rows a page is expected to hold before it arrives. */
  nominalSize(index) {
    return Math.max(0, Math.min(this.pageSize, this.count - index * this.pageSize));
  }

  /** Ask for these pages (nearest first); pages asked for earlier but no longer wanted are skipped. */
  want(pages) {
    this.wanted = pages.filter((p) => p >= 0 && p < this.pageCount);
    this.pump();
  }

  pump() {
    for (const index of this.wanted) {
      if (this.loading.size >= MAX_IN_FLIGHT) return;
      if (this.pages.has(index) || this.loading.has(index) || this.failed.has(index)) continue;
      this.loading.add(index);
      this.fetch(index).then((result) => {
        this.loading.delete(index);
        this.pages.set(index, result.rows);
        this.adjustCount(index, result);
        this.evict();
        this.onPage(index);
        this.pump();
      }, (error) => {
        this.loading.delete(index);
        if (error.name === "AbortError") return;
        this.failed.add(index);
        this.onPage(index, error);
      });
    }
  }

  adjustCount(index, { rows, more }) {
    const end = index * this.pageSize + rows.length;
    if (!more && (end < this.count || !this.exactCount)) {
      // The last page tells the truth (runs may have been deleted since the count was taken).
      this.count = end;
      this.counted = this.exactCount = true;
    } else if (!this.exactCount) {
      this.count = Math.max(this.count, end + (more ? this.pageSize : 0));
    }
  }

  evict() {
    if (this.pages.size <= MAX_PAGES) return;
    const center = this.wanted.length ? this.wanted[0] : 0;
    const far = [...this.pages.keys()].sort((a, b) => Math.abs(b - center) - Math.abs(a - center));
    for (const index of far.slice(0, this.pages.size - MAX_PAGES)) this.pages.delete(index);
  }

  destroy() {
    this.controller.abort();
  }
}
