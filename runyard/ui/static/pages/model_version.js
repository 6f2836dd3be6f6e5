// #/models/<name>/versions/<v>: one model version: stage (with transition), aliases, source run,
// logged model, tags, description and this version's part of the audit history.

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { formatTime } from "../format.js";
import { showError } from "../app.js";
import { STAGES, aliasBadges, descriptionEditor, historyTable, stageBadge, tagEditor } from "../components/registry_widgets.js";

function field(label, ...value) {
  return h("tr", null, h("th", null, label), h("td", null, ...value));
}

function sourceCell(version) {
  const source = version.source || "";
  const modelId = version.model_id || (source.startsWith("models:/m-") ? source.slice("models:/".length) : null);
  const parts = [h("code", null, source)];
  if (modelId) parts.push(" · logged model ", h("code", { class: "model-id" }, modelId));
  return parts;
}

function transitionForm(version, reload) {
  const stage = h("select", { "aria-label": "New stage" },
    STAGES.filter((s) => s !== (version.current_stage || "None")).map((s) => h("option", { value: s }, s)));
  const archive = h("input", { type: "checkbox", id: "archive-existing" });
  return h("form", { class: "toolbar", onsubmit: async (event) => {
    event.preventDefault();
    try {
      await api.post("2.0/mlflow/model-versions/transition-stage", { name: version.name, version: version.version,
        stage: stage.value, archive_existing_versions: archive.checked });
      await reload();
    } catch (e) { showError(e); }
  } }, "Move to ", stage, h("label", null, archive, " archive the versions now in that stage"),
     h("button", { type: "submit" }, "Transition"));
}

export async function render(main, params) {
  const { name, version: number } = params;
  const modelHref = "#/models/" + encodeURIComponent(name);
  const reload = async () => {
    const { model_version: version } = await api.get("2.0/mlflow/model-versions/get", { name, version: number });
    const history = await historyTable(name, number);
    const run = version.run_id
      ? h("a", { href: "#/runs/" + encodeURIComponent(version.run_id), class: "source-run" }, version.run_id) : "—";
    replace(main,
      h("p", { class: "muted" }, h("a", { href: "#/models" }, "Registered models"), " / ",
        h("a", { href: modelHref }, name), " / Version " + number),
      h("h1", null, `${name} · Version ${number}`),
      h("table", { class: "grid fields" }, h("tbody", null,
        field("Stage", stageBadge(version.current_stage)),
        field("Aliases", ...(version.aliases && version.aliases.length ? aliasBadges(version.aliases) : ["—"])),
        field("Registered", formatTime(version.creation_timestamp)),
        field("Last modified", formatTime(version.last_updated_timestamp)),
        field("Status", version.status || ""),
        field("Source run", run),
        field("Source", ...sourceCell(version)),
        field("Created by", version.user_id || ""))),
      transitionForm(version, reload),
      descriptionEditor(version.description || "", async (text) => {
        await api.patch("2.0/mlflow/model-versions/update", { name, version: number, description: text });
      }),
      tagEditor(version.tags, (key, value) => api.post("2.0/mlflow/model-versions/set-tag", { name, version: number, key, value }),
                (key) => api.delete("2.0/mlflow/model-versions/delete-tag", { name, version: number, key })),
      h("h2", null, "History"), history);
  };
  await reload();
}
