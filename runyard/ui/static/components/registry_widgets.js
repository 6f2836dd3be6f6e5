// Pieces the registry pages share: editable tag tables, editable descriptions, stage and alias
// badges, the audit history table.

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { formatTime } from "../format.js";
import { renderMarkdown } from "./markdown.js";

export const STAGES = ["None", "Staging", "Production", "Archived"];

export function stageBadge(stage) {
  return h("span", { class: `badge stage-${stage || "None"}` }, stage || "None");
}

export function aliasBadges(aliases) {
  return (aliases || []).map((alias) => h("span", { class: "badge alias" }, "@" + alias));
}

/** A description rendered as Markdown, with an Edit button. */
export function descriptionEditor(text, save) {
  const box = h("section", { class: "description" });
  const show = (value) => {
    const body = h("div", { class: "description-body" });
    if (value) {
      body.appendChild(renderMarkdown(value));
    } else {
      body.appendChild(h("p", { class: "muted" }, "No description."));
    }
    replace(box, h("h2", null, "Description"), body,
            h("button", { onclick: () => edit(value) }, "Edit description"));
  };
  const edit = (value) => {
    const area = h("textarea", { rows: 6, cols: 80, "aria-label": "Description" });
    area.value = value || "";
    replace(box, h("h2", null, "Description"), area, h("div", { class: "toolbar" },
      h("button", { class: "primary", onclick: async () => { await save(area.value); show(area.value); } }, "Save"),
      h("button", { onclick: () => show(value) }, "Cancel")));
  };
  show(text);
  return box;
}

/** Tags as a table with add, edit and delete; `setTag(key, value)`, `deleteTag(key)` call the API. */
export function tagEditor(tags, setTag, deleteTag) {
  const box = h("section", { class: "tags" });
  const current = new Map((tags || []).map((t) => [t.key, t.value]));
  const draw = () => {
    const rows = [...current.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => h("tr", null,
      h("td", null, key), h("td", null, value),
      h("td", null, h("button", { class: "danger", "aria-label": `Delete tag ${key}`, onclick: async () => {
        await deleteTag(key);
        current.delete(key);
        draw();
      } }, "Delete"))));
    const keyInput = h("input", { placeholder: "key", "aria-label": "Tag key" });
    const valueInput = h("input", { placeholder: "value", "aria-label": "Tag value" });
    const add = h("form", { class: "toolbar", onsubmit: async (event) => {
      event.preventDefault();
      const key = keyInput.value.trim();
      if (!key) return;
      await setTag(key, valueInput.value);
      current.set(key, valueInput.value);
      draw();
    } }, keyInput, valueInput, h("button", { type: "submit" }, "Add tag"));
    replace(box, h("h2", null, "Tags"),
            rows.length ? h("table", { class: "grid" }, h("thead", null, h("tr", null, h("th", null, "Key"),
              h("th", null, "Value"), h("th", null, ""))), h("tbody", null, rows))
                        : h("p", { class: "muted" }, "No tags."), add);
  };
  draw();
  return box;
}

function describeEvent(event) {
  const from = event.from_value ?? "", to = event.to_value ?? "";
  switch (event.action) {
    case "TRANSITION_STAGE": return `stage ${from || "None"} → ${to}`;
    case "SET_ALIAS": return `@${event.key} → version ${to}` + (from ? ` (was version ${from})` : "");
    case "DELETE_ALIAS": return `@${event.key} removed` + (from ? ` (was version ${from})` : "");
    case "RENAME_MODEL": return `renamed ${from} → ${to}`;
    case "CREATE_VERSION": return to ? `source ${to}` : "";
    default: return [event.key || "", from || to ? `${from} → ${to}` : ""].filter(Boolean).join(" ");
  }
}

/** The audit trail of a registered model (optionally one version's events only). */
export async function historyTable(name, version) {
  const { events = [] } = await api.get("2.0/mlflow/registered-models/history", { name });
  const shown = version === undefined ? events : events.filter((e) => String(e.version) === String(version));
  if (!shown.length) return h("p", { class: "muted" }, "No recorded events.");
  const rows = shown.slice().reverse().map((event) => h("tr", null,
    h("td", null, formatTime(event.timestamp)), h("td", null, event.action),
    h("td", null, event.version ?? ""), h("td", null, describeEvent(event)), h("td", null, event.user_id || "")));
  return h("table", { class: "grid history" }, h("thead", null, h("tr", null, ...["Time", "Action", "Version",
    "Change", "User"].map((t) => h("th", null, t)))), h("tbody", null, rows));
}
