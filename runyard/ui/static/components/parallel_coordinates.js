// Parallel coordinates in SVG: one vertical axis per param or metric, one line per run. Numeric
// columns get a linear axis; anything else is categorical (its values sorted, evenly spaced).

import { h } from "../dom.js";
import { formatNumber } from "../format.js";

const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) el.setAttribute(name, String(value));
  for (const child of children) {
    if (child === null || child === undefined) continue;
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function axisScale(values, top, bottom) {
  const present = values.filter((v) => v !== undefined && v !== null && v !== "");
  const numeric = present.length > 0 && present.every((v) => Number.isFinite(Number(v)));
  if (numeric) {
    const nums = present.map(Number);
    let lo = Math.min(...nums), hi = Math.max(...nums);
    if (lo === hi) { lo -= 1; hi += 1; }
    return { numeric, labels: [formatNumber(hi), formatNumber(lo)],
             y: (v) => (v === undefined || v === null || v === "" ? null : bottom - ((Number(v) - lo) / (hi - lo)) * (bottom - top)) };
  }
  const categories = [...new Set(present.map(String))].sort();
  const step = categories.length > 1 ? (bottom - top) / (categories.length - 1) : 0;
  return { numeric, categories,
           y: (v) => (v === undefined || v === null || v === "" ? null
             : categories.length > 1 ? bottom - categories.indexOf(String(v)) * step : (top + bottom) / 2) };
}

/** columns: [{label, values: [per run]}], runs: [{label, color}] */
export function parallelCoordinates(columns, runs) {
  const width = Math.max(480, columns.length * 140), height = 320, top = 30, bottom = height - 30;
  const x = (i) => 60 + (columns.length > 1 ? (i * (width - 120)) / (columns.length - 1) : (width - 120) / 2);
  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "parallel", role: "img",
                            "aria-label": "Parallel coordinates" });
  const scales = columns.map((column) => axisScale(column.values, top, bottom));
  const lines = svg("g", { class: "lines" });
  runs.forEach((run, r) => {
    const points = [];
    scales.forEach((scale, i) => {
      const y = scale.y(columns[i].values[r]);
      if (y !== null) points.push(`${x(i)},${y}`);
    });
    const line = svg("polyline", { points: points.join(" "), fill: "none", stroke: run.color, "stroke-width": 2,
                                   "data-run": run.label }, svg("title", null, run.label));
    lines.appendChild(line);
  });
  root.appendChild(lines);
  columns.forEach((column, i) => {
    const scale = scales[i];
    const axis = svg("g", { class: "axis" },
      svg("line", { x1: x(i), x2: x(i), y1: top, y2: bottom, stroke: "#98a2b3" }),
      svg("text", { x: x(i), y: top - 12, "text-anchor": "middle", class: "axis-label" }, column.label));
    if (scale.numeric) {
      axis.appendChild(svg("text", { x: x(i) + 4, y: top + 4, class: "tick" }, scale.labels[0]));
      axis.appendChild(svg("text", { x: x(i) + 4, y: bottom, class: "tick" }, scale.labels[1]));
    } else {
      for (const category of scale.categories.slice(0, 12)) {
        axis.appendChild(svg("text", { x: x(i) + 4, y: scale.y(category) + 4, class: "tick" }, category));
      }
    }
    root.appendChild(axis);
  });
  return h("div", { class: "parallel-wrap" }, root);
}
