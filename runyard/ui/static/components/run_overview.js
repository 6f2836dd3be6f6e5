// The run page's overview: the details table (with parent and child runs, source, datasets), the
// description (the mlflow.note.content tag, as safe Markdown) and the editable tags.

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { showError } from "../app.js";
import { renderMarkdown } from "./markdown.js";

const NOTE = "mlflow.note.content";
const SYSTEM_PREFIX = "mlflow.";
const LONG_VALUE = 300;
const CHILD_RUNS = 200;

function field(label, ...value) {
  return h("tr", null, h("th", null, label), h("td", null, ...value));
}

function runLink(runId, name) {
  return h("a", { href: "#/runs/" + encodeURIComponent(runId), class: "run-link" }, name || runId);
}

function tagMap(run) {
  return new Map(run.data.tags.map((tag) => [tag.key, tag.value]));
}

function sourceCells(tags) {
  const rows = [];
  const name = tags.get("mlflow.source.name");
  if (name) {
    const type = tags.get("mlflow.source.type");
    rows.push(field("Source", h("code", null, name), type ? h("span", { class: "muted" }, ` (${type.toLowerCase()})`) : null));
  }
  const commit = tags.get("mlflow.source.git.commit");
  if (commit) {
    const repo = tags.get("mlflow.source.git.repoURL") || tags.get("mlflow.gitRepoURL");
    const branch = tags.get("mlflow.source.git.branch");
    rows.push(field("Git commit", h("code", { title: commit }, commit.slice(0, 12)),
                    branch ? h("span", { class: "muted" }, ` on ${branch}`) : null,
                    repo ? h("span", { class: "muted" }, ` · ${repo}`) : null));
  }
  const entry = tags.get("mlflow.project.entryPoint");
  if (entry) rows.push(field("Entry point", h("code", null, entry)));
  return rows;
}

function parentCell(parentId) {
  const link = runLink(parentId);
  api.get("2.0/mlflow/runs/get", { run_id: parentId })
    .then(({ run }) => { if (run.info.run_name) link.textContent = run.info.run_name; })
    .catch(() => link.after(h("span", { class: "muted" }, " (not found)")));
  return link;
}

function childrenCell(run) {
  const cell = h("span", { class: "child-runs muted" }, "Loading…");
  api.post("2.0/mlflow/runs/search", {
    experiment_ids: [run.info.experiment_id],
    filter: `tags.mlflow.parentRunId = '${run.info.run_id}'`,
    max_results: CHILD_RUNS,
    order_by: ["attributes.start_time ASC"],
  }).then(({ runs = [], next_page_token: more }) => {
    cell.classList.remove("muted");
    if (!runs.length) { replace(cell, h("span", { class: "muted" }, "None")); return; }
    const items = runs.map((child) => h("li", null, runLink(child.info.run_id, child.info.run_name), " ",
      h("span", { class: `status-${child.info.status} small` }, child.info.status)));
    replace(cell, h("ul", { class: "inline-list" }, items),
            more ? h("span", { class: "muted" }, `first ${CHILD_RUNS} shown`) : null);
  }).catch((error) => replace(cell, h("span", { class: "error" }, error.message || String(error))));
  return cell;
}

function datasetRows(run) {
  const inputs = run.inputs.dataset_inputs || [];
  if (!inputs.length) return [];
  const list = inputs.map(({ dataset = {}, tags = [] }) => {
    const context = tags.find((tag) => tag.key === "mlflow.data.context");
    return h("li", null, h("strong", null, dataset.name || "(unnamed)"),
             dataset.digest ? h("code", { class: "muted" }, ` ${dataset.digest}`) : null,
             context ? h("span", { class: "badge" }, context.value) : null,
             dataset.source_type ? h("span", { class: "muted" }, ` ${dataset.source_type}`) : null);
  });
  return [field("Datasets", h("ul", { class: "inline-list datasets" }, list))];
}

/** The run's facts as a two-column table; `duration` is a live element the page keeps ticking. */
export function detailsTable(run, { duration, experimentName, formatTime }) {
  const info = run.info;
  const tags = tagMap(run);
  const parent = tags.get("mlflow.parentRunId");
  return h("table", { class: "grid fields run-details" }, h("tbody", null,
    field("Run ID", h("code", null, info.run_id)),
    field("Status", h("span", { class: `status-${info.status}` }, info.status || "")),
    field("Started", formatTime(info.start_time) || "—"),
    field("Ended", formatTime(info.end_time) || "—"),
    field("Duration", duration),
    field("Experiment", h("a", { href: "#/experiments/" + encodeURIComponent(info.experiment_id),
                                 class: "experiment-link" }, experimentName)),
    field("User", info.user_id || tags.get("mlflow.user") || "—"),
    ...sourceCells(tags),
    parent ? field("Parent run", parentCell(parent)) : null,
    field("Child runs", childrenCell(run)),
    ...datasetRows(run),
    field("Artifact location", h("code", null, info.artifact_uri || "")),
  ));
}

/** The description: rendered Markdown with Edit; `save(text)` stores it (and may throw). */
export function descriptionSection(run, save) {
  const box = h("section", { class: "description" });
  const current = () => tagMap(run).get(NOTE) || "";
  const show = () => {
    const text = current();
    replace(box, h("div", { class: "section-head" }, h("h2", null, "Description"),
                   h("button", { class: "edit-description", onclick: edit }, text ? "Edit" : "Add description")),
            text ? renderMarkdown(text) : h("p", { class: "muted" }, "No description."));
  };
  const edit = () => {
    const area = h("textarea", { rows: 10, class: "description-input", "aria-label": "Description" });
    area.value = current();
    const saveButton = h("button", { class: "primary", onclick: async () => {
      saveButton.disabled = true;
      try {
        await save(area.value);
        show();
      } catch (error) {
        saveButton.disabled = false;
        showError(error);
      }
    } }, "Save");
    replace(box, h("div", { class: "section-head" }, h("h2", null, "Description")), area,
            h("div", { class: "toolbar" }, saveButton, h("button", { onclick: show }, "Cancel"),
              h("span", { class: "muted" }, "Markdown: # headings, **bold**, *italic*, `code`, lists, > quotes, [links](https://…)")));
    area.focus();
  };
  show();
  return box;
}

function valueCell(value) {
  if (value.length <= LONG_VALUE) return h("td", { class: "value" }, value);
  const text = h("span", null, value.slice(0, LONG_VALUE) + "…");
  const more = h("button", { class: "link", onclick: () => {
    const open = more.textContent === "Show all";
    text.textContent = open ? value : value.slice(0, LONG_VALUE) + "…";
    more.textContent = open ? "Show less" : "Show all";
  } }, "Show all");
  return h("td", { class: "value" }, text, " ", more);
}

/** User tags (add, edit, delete) and, read-only, the system's mlflow.* tags. */
export function tagSections(run, { set, remove }) {
  const box = h("div", { class: "run-tags" });
  const act = async (work) => {
    try {
      await work();
      draw();
    } catch (error) {
      showError(error);
    }
  };

  const userRow = (key, value) => {
    const row = h("tr", { dataset: { key } });
    const view = () => replace(row, h("th", { class: "key" }, key), valueCell(value), h("td", { class: "actions" },
      h("button", { "aria-label": `Edit tag ${key}`, onclick: editValue }, "Edit"),
      h("button", { class: "danger", "aria-label": `Delete tag ${key}`, onclick: () => act(() => remove(key)) }, "Delete")));
    const editValue = () => {
      const input = h("input", { class: "tag-value-input", "aria-label": `Value of ${key}`, value });
      const commit = () => act(() => set(key, input.value));
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") commit();
        if (event.key === "Escape") view();
      });
      replace(row, h("th", { class: "key" }, key), h("td", { class: "value" }, input), h("td", { class: "actions" },
        h("button", { class: "primary", onclick: commit }, "Save"), h("button", { onclick: view }, "Cancel")));
      input.focus();
    };
    view();
    return row;
  };

  const addForm = () => {
    const key = h("input", { placeholder: "key", "aria-label": "New tag key" });
    const value = h("input", { placeholder: "value", "aria-label": "New tag value" });
    const problem = h("span", { class: "error" });
    return h("form", { class: "toolbar add-tag", onsubmit: (event) => {
      event.preventDefault();
      const name = key.value.trim();
      if (!name) { key.classList.add("invalid"); problem.textContent = "A tag needs a key."; return; }
      if (name.startsWith(SYSTEM_PREFIX)) {
        key.classList.add("invalid");
        problem.textContent = "Keys starting with mlflow. are reserved for the system.";
        return;
      }
      act(() => set(name, value.value));
    } }, key, value, h("button", { type: "submit" }, "Add tag"), problem);
  };

  const draw = () => {
    const sorted = [...run.data.tags].sort((a, b) => a.key.localeCompare(b.key));
    const user = sorted.filter((tag) => !tag.key.startsWith(SYSTEM_PREFIX));
    const system = sorted.filter((tag) => tag.key.startsWith(SYSTEM_PREFIX) && tag.key !== NOTE);
    replace(box,
      h("section", { class: "tags user-tags" }, h("h2", null, "Tags"),
        user.length
          ? h("table", { class: "grid tag-table" }, h("thead", null, h("tr", null, h("th", null, "Key"),
              h("th", null, "Value"), h("th", null, ""))), h("tbody", null, user.map((tag) => userRow(tag.key, tag.value))))
          : h("p", { class: "muted" }, "No tags."),
        addForm()),
      system.length ? h("section", { class: "tags system-tags" }, h("h2", null, "System tags"),
        h("table", { class: "grid tag-table" }, h("tbody", null, system.map((tag) =>
          h("tr", { dataset: { key: tag.key } }, h("th", { class: "key" }, tag.key), valueCell(tag.value)))))) : null);
  };
  draw();
  return box;
}
