// The controls above the runs table: the filter box (its errors shown beside it, never in a
// modal), the view, grouping and nesting switches, the column chooser, the actions on selected
// runs, and the "N runs · T ms" summary.

import { h, replace } from "../dom.js";
import { fetchKeys } from "./column_chooser.js";

const VIEW_LABELS = { active: "Active", deleted: "Deleted", all: "All" };
const HIDDEN_GROUP_TAGS = new Set(["mlflow.runName", "mlflow.parentRunId", "mlflow.note.content"]);

function plural(n, word) {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}

function groupSelect(experimentIds, current, onGroup) {
  const select = h("select", { "aria-label": "Group by", onchange: () => onGroup(select.value) },
    h("option", { value: "" }, "No grouping"));
  if (current) select.appendChild(h("option", { value: current, selected: true }, current));
  // The first keys of each kind; the list stays short however many keys the experiments hold.
  Promise.all(["params", "tags"].map((kind) => fetchKeys(experimentIds, kind, "", 100).then(
    (body) => (body.keys || []).filter((key) => kind !== "tags" || !HIDDEN_GROUP_TAGS.has(key)).map((key) => `${kind}.${key}`),
    () => [])))
    .then(([params, tags]) => {
      for (const [label, ids] of [["Params", params], ["Tags", tags]]) {
        const options = ids.filter((id) => id !== current).map((id) => h("option", { value: id }, id));
        if (options.length) select.appendChild(h("optgroup", { label }, options));
      }
    });
  return select;
}

export function runToolbar({ experimentIds, state, chooser, onFilter, onView, onGroup, onNested, onCompare,
                             onLifecycle, onUndo }) {
  const filter = h("input", { type: "search", class: "filter-input", value: state.filter, "aria-label": "Filter runs",
                              placeholder: "metrics.rmse < 1 and params.model = 'rf'", spellcheck: "false",
                              autocomplete: "off" });
  const filterError = h("span", { class: "filter-error error", role: "alert" });
  const form = h("form", { class: "toolbar filter-bar", onsubmit: (event) => {
    event.preventDefault();
    onFilter(filter.value.trim());
  } }, filter, h("button", { type: "submit" }, "Apply"), filterError);

  const views = h("div", { class: "segmented", role: "group", "aria-label": "Show runs" });
  const drawViews = () => replace(views, Object.entries(VIEW_LABELS).map(([view, label]) => h("button", {
    type: "button", "aria-pressed": String(state.view === view), class: state.view === view ? "active" : "",
    onclick: () => { if (state.view !== view) { state.view = view; drawViews(); onView(view); } },
  }, label)));
  drawViews();

  const nested = h("input", { type: "checkbox", checked: state.nested, onchange: () => onNested(nested.checked) });
  const nestedLabel = h("label", { class: "inline", title: "Show child runs under their parent run" }, nested,
                        " Nest child runs");
  nestedLabel.hidden = Boolean(state.group);
  const compare = h("button", { type: "button", onclick: onCompare }, "Compare");
  const remove = h("button", { type: "button", class: "danger" }, "Delete");
  const restore = h("button", { type: "button" }, "Restore");
  const summary = h("span", { class: "summary muted", "aria-live": "polite" });
  const message = h("div", { class: "run-message", role: "status" });

  const lifecycle = async (action) => {
    try {
      const ids = await onLifecycle(action);
      const done = action === "delete" ? "Deleted" : "Restored";
      const undo = h("button", { type: "button", class: "link", onclick: async () => {
        replace(message);
        await onUndo(action === "delete" ? "restore" : "delete", ids);
      } }, "Undo");
      replace(message, `${done} ${plural(ids.length, "run")}. `, undo);
    } catch (error) {
      replace(message, h("span", { class: "error" }, error.message));
    }
  };
  remove.addEventListener("click", () => lifecycle("delete"));
  restore.addEventListener("click", () => lifecycle("restore"));

  const grouping = groupSelect(experimentIds, state.group, (group) => { nestedLabel.hidden = Boolean(group); onGroup(group); });
  const element = h("div", { class: "run-controls" }, form,
    h("div", { class: "toolbar" }, views, grouping, nestedLabel, chooser.element, h("span", { class: "sep" }),
      compare, remove, restore, summary),
    message);

  return {
    element,
    /** Show the filter and grouping of `state` (changed by something other than these controls). */
    reset(current) {
      filter.value = current.filter;
      grouping.value = current.group;
      nestedLabel.hidden = Boolean(current.group);
    },
    busy(on) {
      element.classList.toggle("busy", on);
      if (on) summary.dataset.last = summary.textContent;
      summary.textContent = on ? "Loading…" : summary.dataset.last || "";
    },
    showFilterError(text) {
      filter.classList.toggle("invalid", Boolean(text));
      filter.setAttribute("aria-invalid", String(Boolean(text)));
      filterError.textContent = text || "";
    },
    showSummary(count, elapsedMs, groupsText, approximate) {
      // approximate: the count is still on its way (or the server has no count route).
      const runs = approximate ? `${count.toLocaleString("en-US")}+ runs` : plural(count, "run");
      summary.textContent = (groupsText ? `${groupsText} of ${runs}` : runs) + ` · ${Math.round(elapsedMs)} ms`;
      summary.title = "Time from the query to its first rows on screen";
    },
    updateSelection(selected) {
      const stages = [...selected.values()];
      const n = stages.length;
      compare.disabled = n < 2;
      compare.textContent = n ? `Compare (${n})` : "Compare";
      remove.disabled = !stages.some((stage) => stage !== "deleted");
      restore.disabled = !stages.some((stage) => stage === "deleted");
    },
  };
}
