// #/experiments: search by name, create, rename, delete (confirmed inline, with undo), and pick
// several experiments to open their runs in one table (#/experiments/1,2).

import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { formatTime } from "../format.js";
import { setQuery } from "../app.js";

const PAGE = 200;

/** A string value in the search grammar: single quotes, a quote inside doubled. */
function quoteValue(text) {
  return "'" + text.replace(/'/g, "''") + "'";
}

export async function render(main, params, query) {
  const selected = new Set();
  let token = null;
  let shown = 0;
  let searchTimer = 0;
  let generation = 0;

  const search = h("input", { type: "search", placeholder: "Search by name", "aria-label": "Search experiments",
                              value: query.get("q") || "", size: 32 });
  const newName = h("input", { placeholder: "New experiment name", "aria-label": "New experiment name", size: 28 });
  const createError = h("span", { class: "error", role: "alert" });
  const message = h("div", { class: "run-message", role: "status" });
  const body = h("tbody");
  const more = h("button", { type: "button", onclick: () => load(false) }, "Load more");
  more.hidden = true;
  const count = h("span", { class: "muted" });
  const open = h("button", { type: "button", class: "primary", onclick: () => {
    location.hash = "#/experiments/" + [...selected].join(",");
  } }, "Open runs");

  const updateOpen = () => {
    open.disabled = selected.size === 0;
    open.textContent = selected.size > 1 ? `Open runs of ${selected.size} experiments` : "Open runs";
  };

  const nameFilter = () => {
    const text = search.value.trim();
    return text ? `name ILIKE ${quoteValue("%" + text + "%")}` : undefined;
  };

  async function load(reset) {
    const mine = reset ? ++generation : generation;
    if (reset) { token = null; shown = 0; }
    try {
      const page = await api.post("2.0/mlflow/experiments/search", { filter: nameFilter(), max_results: PAGE,
                                                                      page_token: token || undefined });
      if (mine !== generation) return;
      if (reset) replace(body);
      const experiments = page.experiments || [];
      for (const experiment of experiments) body.appendChild(experimentRow(experiment));
      shown += experiments.length;
      token = page.next_page_token || null;
      more.hidden = !token;
      count.textContent = `${shown} experiment${shown === 1 ? "" : "s"}${token ? "+" : ""}`;
      if (!shown) body.appendChild(h("tr", null, h("td", { colspan: 6, class: "muted" }, "No experiments match.")));
    } catch (error) {
      replace(message, h("span", { class: "error" }, error.message));
    }
  }

  function experimentRow(experiment) {
    const id = experiment.experiment_id;
    const row = h("tr", { dataset: { experimentId: id } });
    const box = h("input", { type: "checkbox", checked: selected.has(id), "aria-label": "Select " + experiment.name,
                             onchange: () => { if (box.checked) selected.add(id); else selected.delete(id); updateOpen(); } });
    const nameCell = h("td", { class: "exp-name" });
    const actions = h("td", { class: "actions" });
    const showName = () => replace(nameCell, h("a", { href: "#/experiments/" + encodeURIComponent(id) }, experiment.name));
    const showActions = () => replace(actions,
      h("button", { type: "button", onclick: rename }, "Rename"),
      h("button", { type: "button", class: "danger", onclick: confirmDelete }, "Delete"));

    function rename() {
      const input = h("input", { value: experiment.name, "aria-label": "New name for " + experiment.name, size: 30 });
      const error = h("span", { class: "error" });
      const save = async (event) => {
        event.preventDefault();
        const name = input.value.trim();
        if (!name || name === experiment.name) { showName(); showActions(); return; }
        try {
          await api.post("2.0/mlflow/experiments/update", { experiment_id: id, new_name: name });
          experiment.name = name;
          showName();
          showActions();
        } catch (e) {
          error.textContent = e.message;
          input.classList.add("invalid");
        }
      };
      input.addEventListener("keydown", (event) => { if (event.key === "Escape") { showName(); showActions(); } });
      replace(nameCell, h("form", { class: "inline-form", onsubmit: save }, input,
                          h("button", { type: "submit", class: "primary" }, "Save"),
                          h("button", { type: "button", onclick: () => { showName(); showActions(); } }, "Cancel"), error));
      replace(actions);
      input.focus();
      input.select();
    }

    function confirmDelete() {
      replace(actions, h("span", null, "Delete this experiment and its runs? "),
        h("button", { type: "button", class: "danger", onclick: async () => {
          try {
            await api.post("2.0/mlflow/experiments/delete", { experiment_id: id });
          } catch (e) {
            replace(actions, h("span", { class: "error" }, e.message));
            return;
          }
          row.remove();
          selected.delete(id);
          updateOpen();
          shown -= 1;
          count.textContent = `${shown} experiment${shown === 1 ? "" : "s"}`;
          const undo = h("button", { type: "button", class: "link", onclick: async () => {
            await api.post("2.0/mlflow/experiments/restore", { experiment_id: id });
            replace(message, `Restored experiment “${experiment.name}”.`);
            load(true);
          } }, "Undo");
          replace(message, `Deleted experiment “${experiment.name}”. `, undo);
        } }, "Confirm delete"),
        h("button", { type: "button", onclick: showActions }, "Cancel"));
    }

    showName();
    showActions();
    row.append(h("td", { class: "select-cell" }, box), nameCell, h("td", { class: "muted" }, id),
               h("td", null, formatTime(experiment.creation_time)), h("td", null, formatTime(experiment.last_update_time)),
               actions);
    return row;
  }

  const create = async (event) => {
    event.preventDefault();
    const name = newName.value.trim();
    if (!name) { createError.textContent = "Type a name first."; return; }
    try {
      const created = await api.post("2.0/mlflow/experiments/create", { name });
      createError.textContent = "";
      newName.classList.remove("invalid");
      newName.value = "";
      replace(message, "Created experiment ", h("a", { href: "#/experiments/" + created.experiment_id }, name), ".");
      load(true);
    } catch (e) {
      createError.textContent = e.message;
      newName.classList.add("invalid");
    }
  };

  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => { setQuery({ q: search.value.trim() }); load(true); }, 200);
  });

  updateOpen();
  replace(main, h("h1", null, "Experiments"),
    h("div", { class: "toolbar" },
      h("form", { class: "toolbar inline-form", onsubmit: (event) => {
        event.preventDefault();
        clearTimeout(searchTimer);
        setQuery({ q: search.value.trim() });
        load(true);
      } }, search),
      h("span", { class: "sep" }),
      h("form", { class: "toolbar inline-form", onsubmit: create }, newName,
        h("button", { type: "submit" }, "Create experiment"), createError)),
    h("div", { class: "toolbar" }, open, count),
    message,
    h("table", { class: "grid experiments" }, h("thead", null, h("tr", null,
      h("th", { class: "select-cell" }, ""), h("th", null, "Name"), h("th", null, "ID"), h("th", null, "Created"),
      h("th", null, "Last updated"), h("th", null, ""))), body),
    more);
  await load(true);
  return () => { generation++; clearTimeout(searchTimer); };
}
