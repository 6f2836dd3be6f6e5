// The single-page app: a hash router that loads one page module per route.
//
// A page module exports `render(main, params, query)`; it may return a cleanup function, called
// when the user navigates away (pages that poll, such as live charts, stop there).

import { h, replace } from "./dom.js";

const ROUTES = [
  [/^\/?$/, null],
  [/^\/experiments$/, "experiments"],
  [/^\/experiments\/(?<ids>[^/]+)$/, "runs"],
  [/^\/runs\/(?<runId>[^/]+)$/, "run"],
  [/^\/compare$/, "compare"],
  [/^\/charts$/, "charts"],
  [/^\/models$/, "models"],
  [/^\/models\/(?<name>[^/]+)$/, "model"],
  [/^\/models\/(?<name>[^/]+)\/versions\/(?<version>[^/]+)$/, "model_version"],
];

let cleanup = null;
let generation = 0;

export function parseHash(hash) {
  const raw = hash.replace(/^#/, "") || "/";
  const at = raw.indexOf("?");
  const path = at < 0 ? raw : raw.slice(0, at);
  const query = new URLSearchParams(at < 0 ? "" : raw.slice(at + 1));
  return { path, query };
}

/** Change the query part of the current route without reloading the page. */
export function setQuery(updates) {
  const { path, query } = parseHash(location.hash);
  for (const [key, value] of Object.entries(updates)) {
    if (value === undefined || value === null || value === "") query.delete(key);
    else query.set(key, String(value));
  }
  const text = query.toString();
  history.replaceState(null, "", "#" + path + (text ? "?" + text : ""));
}

export function showError(error) {
  const banner = document.getElementById("banner");
  banner.textContent = error && error.message ? error.message : String(error);
  banner.hidden = false;
}

export function hideError() {
  document.getElementById("banner").hidden = true;
}

async function route() {
  const mine = ++generation;
  if (cleanup) {
    try { cleanup(); } catch (error) { console.error(error); }
    cleanup = null;
  }
  hideError();
  const { path, query } = parseHash(location.hash);
  const main = document.getElementById("main");
  for (const [pattern, page] of ROUTES) {
    const found = pattern.exec(path);
    if (!found) continue;
    if (page === null) {
      location.replace("#/experiments");
      return;
    }
    const section = path.startsWith("/models") ? "models" : "experiments";
    for (const link of document.querySelectorAll("#topbar nav a")) {
      link.classList.toggle("active", link.dataset.section === section);
    }
    const params = {};
    for (const [key, value] of Object.entries(found.groups || {})) params[key] = decodeURIComponent(value);
    try {
      const module = await import(`./pages/${page}.js`);
      if (mine !== generation) return;
      replace(main);
      const result = await module.render(main, params, query);
      if (mine !== generation) {
        if (typeof result === "function") result();
        return;
      }
      if (typeof result === "function") cleanup = result;
    } catch (error) {
      if (mine !== generation) return;
      console.error(error);
      replace(main, h("h1", null, "Something went wrong"), h("p", { class: "error" }, error.message || String(error)));
    }
    return;
  }
  replace(main, h("h1", null, "Not found"), h("p", null, "No page at ", h("code", null, path), ". ",
                                                 h("a", { href: "#/experiments" }, "Experiments")));
}

window.addEventListener("hashchange", route);
route();
