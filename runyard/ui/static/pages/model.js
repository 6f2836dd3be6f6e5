// #/models/<name>: a registered model: versions with stages and aliases, tags, description, and
// its audit history (who moved which stage or alias, when).

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { formatTime } from "../format.js";
import { showError } from "../app.js";
import { aliasBadges, descriptionEditor, historyTable, stageBadge, tagEditor } from "../components/registry_widgets.js";

function versionHref(name, version) {
  return `#/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`;
}

async function allVersions(name) {
  const versions = [];
  let token;
  do {
    const page = await api.get("2.0/mlflow/model-versions/search",
      { filter: `name='${name.replace(/'/g, "''")}'`, max_results: 1000, page_token: token, order_by: "version_number DESC" });
    versions.push(...(page.model_versions || []));
    token = page.next_page_token;
  } while (token && versions.length < 10000);
  return versions.sort((a, b) => Number(b.version) - Number(a.version));
}

function versionsTable(name, versions) {
  if (!versions.length) return h("p", { class: "muted" }, "No versions yet.");
  const rows = versions.map((v) => h("tr", { dataset: { version: v.version } },
    h("td", null, h("a", { href: versionHref(name, v.version) }, "Version " + v.version)),
    h("td", null, stageBadge(v.current_stage)),
    h("td", null, aliasBadges(v.aliases)),
    h("td", null, formatTime(v.creation_timestamp)),
    h("td", null, v.run_id ? h("a", { href: "#/runs/" + encodeURIComponent(v.run_id) }, v.run_id.slice(0, 8)) : ""),
    h("td", null, v.status || ""),
    h("td", { class: "muted" }, (v.description || "").slice(0, 80))));
  return h("table", { class: "grid versions" }, h("thead", null, h("tr", null,
    ...["Version", "Stage", "Aliases", "Registered", "Source run", "Status", "Description"].map((t) => h("th", null, t)))),
    h("tbody", null, rows));
}

function aliasForm(name, versions, reload) {
  const alias = h("input", { placeholder: "alias, e.g. champion", "aria-label": "Alias", size: 18 });
  const version = h("select", { "aria-label": "Alias version" },
    versions.map((v) => h("option", { value: v.version }, "Version " + v.version)));
  return h("form", { class: "toolbar", onsubmit: async (event) => {
    event.preventDefault();
    if (!alias.value.trim()) return;
    try {
      await api.post("2.0/mlflow/registered-models/alias", { name, alias: alias.value.trim(), version: version.value });
      await reload();
    } catch (e) { showError(e); }
  } }, alias, version, h("button", { type: "submit" }, "Set alias"));
}

function aliasList(name, aliases, reload) {
  if (!aliases.length) return h("p", { class: "muted" }, "No aliases.");
  return h("ul", { class: "aliases" }, aliases.map((a) => h("li", null,
    h("span", { class: "badge alias" }, "@" + a.alias), " → ",
    h("a", { href: versionHref(name, a.version) }, "Version " + a.version), " ",
    h("button", { class: "danger", "aria-label": `Remove alias ${a.alias}`, onclick: async () => {
      try {
        await api.delete("2.0/mlflow/registered-models/alias", { name, alias: a.alias });
        await reload();
      } catch (e) { showError(e); }
    } }, "Remove"))));
}

export async function render(main, params) {
  const name = params.name;
  const reload = async () => {
    const [{ registered_model: model }, versions] = await Promise.all([
      api.get("2.0/mlflow/registered-models/get", { name }), allVersions(name)]);
    const aliases = (model.aliases || []).slice().sort((a, b) => a.alias.localeCompare(b.alias));
    const history = await historyTable(name);
    replace(main,
      h("p", { class: "muted" }, h("a", { href: "#/models" }, "Registered models"), " / ", name),
      h("h1", null, name),
      h("p", { class: "muted" }, `Created ${formatTime(model.creation_timestamp)} · last modified ` +
        formatTime(model.last_updated_timestamp) + ` · ${versions.length} version${versions.length === 1 ? "" : "s"}`),
      descriptionEditor(model.description || "", async (text) => {
        await api.patch("2.0/mlflow/registered-models/update", { name, description: text });
      }),
      h("h2", null, "Versions"), versionsTable(name, versions),
      h("h2", null, "Aliases"), aliasList(name, aliases, reload), versions.length ? aliasForm(name, versions, reload) : null,
      tagEditor(model.tags, (key, value) => api.post("2.0/mlflow/registered-models/set-tag", { name, key, value }),
                (key) => api.delete("2.0/mlflow/registered-models/delete-tag", { name, key })),
      h("h2", null, "History"), history);
  };
  await reload();
}
