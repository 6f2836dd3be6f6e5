// The column chooser: a panel that lists metric, param or tag keys of the experiments a page at a
// time through runyard's keys route, narrowed by a prefix the user types. An experiment with
// 10,000 metric keys never sends them all to the browser (MLflow #11927): the list holds at most
// LIMIT keys and says when there are more.

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { KINDS } from "./run_columns.js";

const LIMIT = 200;
const KIND_LABELS = { metrics: "Metrics", params: "Params", tags: "Tags" };

/** Keys of one kind under a prefix: {keys, truncated}. */
export function fetchKeys(experimentIds, kind, prefix, maxResults = LIMIT, signal) {
  return api.get("2.0/runyard/runs/keys", { experiment_ids: experimentIds, kind, prefix, max_results: maxResults },
                 signal);
}

/**
 * chosen(): the chosen column ids; onToggle(id, on) adds or removes one.
 * Returns {element, update()}: update() redraws the button label and the panel's checkboxes.
 */
export function columnChooser({ experimentIds, chosen, onToggle }) {
  let kind = "metrics";
  let timer = 0;
  let controller = null;
  let lastKeys = [];
  const prefix = h("input", { type: "search", placeholder: "Type the start of a key", "aria-label": "Key prefix",
                              size: 28, autocomplete: "off" });
  const list = h("ul", { class: "chooser-list", "aria-label": "Keys" });
  const note = h("p", { class: "muted chooser-note" });
  const picked = h("div", { class: "chooser-chosen" });
  const tabs = h("div", { class: "chooser-tabs", role: "tablist" });
  const button = h("button", { type: "button", "aria-expanded": "false", "aria-haspopup": "dialog" });
  const panel = h("div", { class: "chooser-panel", role: "dialog", "aria-label": "Choose columns", hidden: true },
    tabs, prefix, note, list, h("h3", null, "Shown columns"), picked,
    h("div", { class: "toolbar" }, h("button", { type: "button", onclick: () => close() }, "Done")));
  const element = h("div", { class: "chooser" }, button, panel);

  const drawTabs = () => replace(tabs, KINDS.map((k) => h("button", {
    type: "button", role: "tab", "aria-selected": String(k === kind), class: k === kind ? "active" : "",
    onclick: () => { kind = k; drawTabs(); load(); },
  }, KIND_LABELS[k])));

  const drawList = () => {
    const ids = new Set(chosen());
    replace(list, lastKeys.map((key) => {
      const id = kind + "." + key;
      const box = h("input", { type: "checkbox", checked: ids.has(id),
                               onchange: () => { onToggle(id, box.checked); drawPicked(); updateButton(); } });
      return h("li", null, h("label", { title: id }, box, " ", key));
    }));
  };

  const drawPicked = () => {
    const ids = chosen().filter((id) => KINDS.some((k) => id.startsWith(k + ".")));
    replace(picked, ids.length ? ids.map((id) => h("span", { class: "badge chip" }, id, h("button", {
      type: "button", class: "chip-remove", "aria-label": "Remove column " + id, title: "Remove",
      onclick: () => { onToggle(id, false); drawPicked(); drawList(); updateButton(); },
    }, "×"))) : h("span", { class: "muted" }, "Only the run attributes."));
  };

  const load = async () => {
    if (controller) controller.abort();
    controller = new AbortController();
    const mine = controller;
    note.textContent = "Loading…";
    try {
      const body = await fetchKeys(experimentIds, kind, prefix.value, LIMIT, mine.signal);
      if (mine !== controller) return;
      lastKeys = body.keys || [];
      note.textContent = !lastKeys.length ? "No " + kind + " keys start with that."
        : body.truncated ? `First ${lastKeys.length} keys; type more of the name to narrow.` : `${lastKeys.length} keys`;
      drawList();
    } catch (error) {
      if (error.name === "AbortError") return;
      note.textContent = error.message;
    }
  };

  const updateButton = () => {
    const n = chosen().filter((id) => KINDS.some((k) => id.startsWith(k + "."))).length;
    button.textContent = `Columns (${n})`;
  };

  const outside = (event) => { if (!element.contains(event.target)) close(); };
  const escape = (event) => { if (event.key === "Escape") close(); };
  const open = () => {
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    document.addEventListener("mousedown", outside);
    document.addEventListener("keydown", escape);
    drawTabs();
    drawPicked();
    load();
    prefix.focus();
  };
  function close() {
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
    document.removeEventListener("mousedown", outside);
    document.removeEventListener("keydown", escape);
  }
  button.addEventListener("click", () => (panel.hidden ? open() : close()));
  prefix.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(load, 150);
  });
  updateButton();
  return { element, update: () => { updateButton(); if (!panel.hidden) { drawList(); drawPicked(); } },
           destroy: () => { close(); clearTimeout(timer); if (controller) controller.abort(); } };
}
