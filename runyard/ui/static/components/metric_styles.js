// The stylesheet of the metric tables, the compare page of many runs and many-run charts
// (metric_views.css), loaded once by the modules that draw them.

import { h } from "../dom.js";

let loaded = false;

export function ensureMetricStyles() {
  if (loaded) return;
  loaded = true;
  document.head.appendChild(h("link", { rel: "stylesheet", href: new URL("../metric_views.css", import.meta.url).href }));
}
