// #/runs/<run_id>?tab=overview|params|metrics|artifacts|models: one run. The header (rename,
// status, delete/restore) stays put; tabs switch in place and keep their state in the URL
// (?tab=, ?q= for the params/metrics filter, ?path= for the selected artifact).

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { formatDuration, formatTime } from "../format.js";
import { setQuery, showError } from "../app.js";
import { artifactBrowser } from "../components/artifacts.js";
import { descriptionSection, detailsTable, tagSections } from "../components/run_overview.js";
import { latestMetricsTable, modelsTab, paramsTable } from "../components/run_tables.js";

const POLL_MS = 5000; // a RUNNING run is re-read this often (status, metrics, params, tags)
const TABS = [["overview", "Overview"], ["params", "Parameters"], ["metrics", "Metrics"],
              ["artifacts", "Artifacts"], ["models", "Models"]];

function runHref(runId, query) {
  return "#/runs/" + encodeURIComponent(runId) + (query ? "?" + new URLSearchParams(query).toString() : "");
}

async function loadRun(runId) {
  const { run } = await api.get("2.0/mlflow/runs/get", { run_id: runId });
  run.data = run.data || {};
  for (const key of ["params", "metrics", "tags"]) run.data[key] = run.data[key] || [];
  run.inputs = run.inputs || {};
  run.outputs = run.outputs || {};
  return run;
}

function notFound(main, runId, error) {
  replace(main, h("h1", null, "Run not found"),
          h("p", null, "No run ", h("code", null, runId), " here: ", error.message || String(error), ". ",
            h("a", { href: "#/experiments" }, "Experiments")));
}

export async function render(main, { runId }, query) {
  let run;
  try {
    run = await loadRun(runId);
  } catch (error) {
    if (error.status === 404 || error.code === "RESOURCE_DOES_NOT_EXIST") {
      notFound(main, runId, error);
      return undefined;
    }
    throw error;
  }
  const page = new RunPage(main, run, query);
  page.draw();
  page.poll();
  return () => page.destroy();
}

class RunPage {
  constructor(main, run, query) {
    this.main = main;
    this.run = run;
    this.runId = run.info.run_id;
    const wanted = query.get("tab");
    this.tab = TABS.some(([key]) => key === wanted) ? wanted : "overview";
    this.query = query;
    this.disposers = [];
    this.ticker = null;
    this.poller = null;
    this.experiment = null;
  }

  destroy() {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    this.dispose();
  }

  /** While the run is RUNNING, follow it: new status, metrics, params and tags show up on their own. */
  poll() {
    if (this.poller || this.run.info.status !== "RUNNING") return;
    let busy = false;
    this.poller = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        const fresh = await loadRun(this.runId);
        if (!this.poller) return;
        const before = JSON.stringify([this.run.info, this.run.data]);
        if (JSON.stringify([fresh.info, fresh.data]) !== before) this.refresh(fresh);
        if (fresh.info.status !== "RUNNING") { clearInterval(this.poller); this.poller = null; }
      } catch {
        // A missed poll is retried at the next tick; the page keeps what it shows.
      } finally {
        busy = false;
      }
    }, POLL_MS);
  }

  /** Show a newer copy of the run without disturbing an edit in progress or the artifact browser. */
  refresh(fresh) {
    this.run = fresh;
    const editing = this.head.querySelector("input") || this.head.querySelector(".confirm");
    if (!editing) this.drawHead();
    this.drawTabs();
    const busy = this.body.contains(document.activeElement) && document.activeElement !== document.body ||
                 this.body.querySelector("textarea, .tag-value-input");
    if (this.tab !== "artifacts" && !busy) this.showTab(this.tab);
  }

  dispose() {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    for (const dispose of this.disposers.splice(0)) dispose();
  }

  async reload() {
    try {
      this.run = await loadRun(this.runId);
      this.draw();
      this.poll();
    } catch (error) {
      showError(error);
    }
  }

  draw() {
    this.dispose();
    const info = this.run.info;
    document.title = `${info.run_name || info.run_id} · runyard`;
    this.head = h("div", { class: "run-head" });
    this.body = h("div", { class: "tab-body" });
    this.tabs = h("nav", { class: "tabs", role: "tablist" });
    replace(this.main, this.crumbs(), this.head, this.tabs, this.body);
    this.drawHead();
    this.drawTabs();
    this.showTab(this.tab);
    this.loadExperiment();
  }

  crumbs() {
    const info = this.run.info;
    const experiment = h("a", { href: "#/experiments/" + encodeURIComponent(info.experiment_id), class: "experiment-link" },
                         this.experiment ? this.experiment.name : `Experiment ${info.experiment_id}`);
    return h("p", { class: "crumbs muted" }, h("a", { href: "#/experiments" }, "Experiments"), " / ",
             experiment, " / ", info.run_name || info.run_id);
  }

  async loadExperiment() {
    try {
      const { experiment } = await api.get("2.0/mlflow/experiments/get", { experiment_id: this.run.info.experiment_id });
      this.experiment = experiment;
      for (const link of this.main.querySelectorAll("a.experiment-link")) {
        link.textContent = experiment.name;
      }
    } catch {
      // The id stays as the link's text; the run page is still useful.
    }
  }

  drawHead() {
    const info = this.run.info;
    const deleted = info.lifecycle_stage === "deleted";
    const title = h("h1", { class: "run-name" }, info.run_name || info.run_id);
    const rename = h("button", { class: "rename", onclick: () => this.editName() }, "Rename");
    const actions = deleted
      ? h("button", { class: "primary", onclick: () => this.restore() }, "Restore run")
      : h("button", { class: "danger", onclick: () => this.confirmDelete(actions) }, "Delete run");
    replace(this.head, title, rename,
            h("span", { class: `badge status status-${info.status}` }, info.status || ""),
            deleted ? h("span", { class: "badge deleted" }, "Deleted") : null,
            h("span", { class: "spacer" }), actions);
  }

  editName() {
    const info = this.run.info;
    const input = h("input", { class: "name-input", "aria-label": "Run name", value: info.run_name || "" });
    const save = async () => {
      const name = input.value.trim();
      if (!name) { input.classList.add("invalid"); return; }
      try {
        await api.post("2.0/mlflow/runs/update", { run_id: this.runId, run_name: name });
        // Read the run again: the server also moved the mlflow.runName tag shown below.
        await this.reload();
      } catch (error) {
        showError(error);
      }
    };
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") save();
      if (event.key === "Escape") this.drawHead();
    });
    replace(this.head, input, h("button", { class: "primary", onclick: save }, "Save"),
            h("button", { onclick: () => this.drawHead() }, "Cancel"));
    input.focus();
    input.select();
  }

  confirmDelete(button) {
    const box = h("span", { class: "confirm" }, "Delete this run? ",
      h("button", { class: "danger", onclick: async () => {
        try {
          await api.post("2.0/mlflow/runs/delete", { run_id: this.runId });
          await this.reload();
        } catch (error) {
          showError(error);
        }
      } }, "Yes, delete"),
      h("button", { onclick: () => box.replaceWith(button) }, "Cancel"));
    button.replaceWith(box);
  }

  async restore() {
    try {
      await api.post("2.0/mlflow/runs/restore", { run_id: this.runId });
      await this.reload();
    } catch (error) {
      showError(error);
    }
  }

  drawTabs() {
    const counts = { params: this.run.data.params.length, metrics: this.run.data.metrics.length };
    replace(this.tabs, TABS.map(([key, label]) => h("a", {
      href: runHref(this.runId, { tab: key }),
      role: "tab",
      class: key === this.tab ? "active" : null,
      "aria-selected": String(key === this.tab),
      dataset: { tab: key },
      onclick: (event) => {
        event.preventDefault();
        setQuery({ tab: key === "overview" ? null : key, q: null, path: null });
        this.query = new URLSearchParams(key === "overview" ? "" : `tab=${key}`);
        this.showTab(key);
      },
    }, label, counts[key] !== undefined ? h("span", { class: "count" }, String(counts[key])) : null)));
  }

  showTab(key) {
    for (const dispose of this.disposers.splice(0)) dispose();
    if (this.ticker) { clearInterval(this.ticker); this.ticker = null; }
    this.tab = key;
    for (const link of this.tabs.children) {
      const active = link.dataset.tab === key;
      link.classList.toggle("active", active);
      link.setAttribute("aria-selected", String(active));
    }
    const filter = this.query.get("q") || "";
    const onFilter = (text) => setQuery({ q: text });
    const { params, metrics } = this.run.data;
    if (key === "overview") this.overview();
    else if (key === "params") replace(this.body, paramsTable(params, filter, onFilter));
    else if (key === "metrics") replace(this.body, latestMetricsTable(this.runId, metrics, filter, onFilter));
    else if (key === "artifacts") this.artifacts();
    else if (key === "models") replace(this.body, modelsTab(this.run));
  }

  overview() {
    const info = this.run.info;
    const duration = h("span", { class: "duration" }, formatDuration(info.start_time, info.end_time));
    if (info.status === "RUNNING" && !info.end_time && info.start_time) {
      this.ticker = setInterval(() => { duration.textContent = formatDuration(info.start_time, null); }, 1000);
    }
    const experimentName = this.experiment ? this.experiment.name : `Experiment ${info.experiment_id}`;
    replace(this.body,
      detailsTable(this.run, { duration, experimentName, formatTime }),
      descriptionSection(this.run, (value) => this.setNote(value)),
      tagSections(this.run, {
        set: (key, value) => this.setTag(key, value),
        remove: (key) => this.deleteTag(key),
      }));
  }

  artifacts() {
    const browser = artifactBrowser(this.runId, {
      selected: this.query.get("path") || "",
      onSelect: (path) => setQuery({ path }),
    });
    this.disposers.push(browser.dispose);
    replace(this.body, browser.element);
  }

  async setTag(key, value) {
    await api.post("2.0/mlflow/runs/set-tag", { run_id: this.runId, key, value });
    const tags = this.run.data.tags.filter((tag) => tag.key !== key);
    tags.push({ key, value });
    this.run.data.tags = tags;
  }

  async deleteTag(key) {
    await api.post("2.0/mlflow/runs/delete-tag", { run_id: this.runId, key });
    this.run.data.tags = this.run.data.tags.filter((tag) => tag.key !== key);
  }

  async setNote(value) {
    const has = this.run.data.tags.some((tag) => tag.key === "mlflow.note.content");
    if (value === "" && has) await this.deleteTag("mlflow.note.content");
    else if (value !== "" || has) await this.setTag("mlflow.note.content", value);
  }
}
