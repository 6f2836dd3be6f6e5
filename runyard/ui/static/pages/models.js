// #/models: registered models with search, their latest versions, stages and aliases.

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { formatTime } from "../format.js";
import { setQuery } from "../app.js";
import { aliasBadges } from "../components/registry_widgets.js";

const PAGE = 100;

function modelRow(model) {
  const latest = model.latest_versions || [];
  const byStage = (stage) => latest.filter((v) => v.current_stage === stage).map((v) => "Version " + v.version).join(", ");
  const newest = latest.reduce((max, v) => Math.max(max, Number(v.version)), 0);
  const aliases = (model.aliases || []).map((a) => `${a.alias}:${a.version}`);
  return h("tr", { dataset: { model: model.name } },
    h("td", null, h("a", { href: "#/models/" + encodeURIComponent(model.name) }, model.name)),
    h("td", null, newest ? "Version " + newest : ""),
    h("td", null, byStage("Staging")), h("td", null, byStage("Production")),
    h("td", null, aliasBadges(aliases)),
    h("td", null, formatTime(model.last_updated_timestamp)),
    h("td", { class: "muted" }, (model.description || "").slice(0, 80)));
}

export async function render(main, params, query) {
  const search = h("input", { type: "search", placeholder: "Search models by name", "aria-label": "Search models",
                              value: query.get("q") || "", size: 40 });
  const error = h("span", { class: "error" });
  const body = h("tbody");
  const more = h("button", { hidden: true }, "Load more");
  const count = h("span", { class: "muted" });
  let token = null, shown = 0;

  const load = async (reset) => {
    if (reset) { token = null; shown = 0; replace(body); }
    const text = search.value.trim();
    const filter = text ? `name ILIKE '%${text.replace(/'/g, "''")}%'` : undefined;
    try {
      const page = await api.get("2.0/mlflow/registered-models/search",
                                 { filter, max_results: PAGE, page_token: token || undefined, order_by: "name ASC" });
      error.textContent = "";
      const models = page.registered_models || [];
      for (const model of models) body.appendChild(modelRow(model));
      shown += models.length;
      token = page.next_page_token || null;
      more.hidden = !token;
      count.textContent = `${shown} model${shown === 1 ? "" : "s"}${token ? "+" : ""}`;
      if (!shown) body.appendChild(h("tr", null, h("td", { colspan: 7, class: "muted" }, "No registered models.")));
    } catch (e) {
      error.textContent = e.message;
    }
  };
  more.addEventListener("click", () => load(false));
  const form = h("form", { class: "toolbar", onsubmit: (event) => {
    event.preventDefault();
    setQuery({ q: search.value.trim() });
    load(true);
  } }, search, h("button", { type: "submit" }, "Search"), error, count);

  replace(main, h("h1", null, "Registered models"), form,
    h("table", { class: "grid models" }, h("thead", null, h("tr", null,
      ...["Name", "Latest version", "Staging", "Production", "Aliases", "Last modified", "Description"]
        .map((t) => h("th", null, t)))), body), more);
  await load(true);
}
