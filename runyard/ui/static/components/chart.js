// A line chart on a canvas: many series overlaid, linear or log y, hover read-out, drag to zoom
// (the caller refetches that window at full detail), double-click to reset.
//
// Many series (100 runs overlaid) stay smooth: the drawn plot is kept as a bitmap, so dragging a
// zoom box repaints the bitmap and the box rather than every line; hovering reads out the 10
// series nearest the pointer (sorted by value), at most once per frame; a legend of more than
// 12 series is folded.
//
// lineChart(container, {title, xLabel, logY, series: [{label, color, points: [[x, y], ...]}],
//                       onZoom(minX, maxX) | onReset()}) -> {update(options), destroy()}

import { h, replace } from "../dom.js";
import { formatNumber } from "../format.js";
import { ensureMetricStyles } from "./metric_styles.js";

export const PALETTE = ["#2456d6", "#d9480f", "#2b8a3e", "#ae3ec9", "#e8590c", "#0c8599", "#c2255c",
                        "#5c940d", "#1864ab", "#862e9c", "#a61e4d", "#364fc7"];
const PAD = { left: 64, right: 16, top: 12, bottom: 36 };
const LEGEND_OPEN_UP_TO = 12; // series; past this the legend is folded
const READOUT_SERIES = 10;

/** The i-th run's color: the palette first, then hues spread by the golden angle. */
export function runColor(i) {
  if (i < PALETTE.length) return PALETTE[i];
  return `hsl(${Math.round((i * 137.508) % 360)}, 65%, ${i % 2 ? 38 : 48}%)`;
}

function niceTicks(min, max, count) {
  if (!(max > min)) return [min];
  const step0 = (max - min) / count;
  const power = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= step0) || 10 * power;
  const ticks = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function extent(series, logY) {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of series) {
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y) || (logY && y <= 0)) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x0 === Infinity) return null;
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { const pad = Math.abs(y0) * 0.1 || 1; y0 -= logY ? y0 / 2 : pad; y1 += pad; }
  return { x0, x1, y0, y1 };
}

export function lineChart(container, initial) {
  ensureMetricStyles();
  let options = initial;
  const canvas = h("canvas", { class: "chart-canvas" });
  const readout = h("div", { class: "chart-readout", hidden: true });
  const legendBox = h("div");
  const frame = h("div", { class: "chart" }, options.title ? h("div", { class: "chart-title" }, options.title) : null,
                  h("div", { class: "chart-area" }, canvas, readout), legendBox);
  container.appendChild(frame);
  let view = null, drag = null, plot = null, legendOpen = false, pendingHover = null;
  const ctx = canvas.getContext("2d");

  const scales = () => {
    const width = canvas.clientWidth, height = canvas.clientHeight;
    const { x0, x1, y0, y1 } = view;
    const ly = (y) => (options.logY ? Math.log10(y) : y);
    const sx = (x) => PAD.left + ((x - x0) / (x1 - x0)) * (width - PAD.left - PAD.right);
    const sy = (y) => height - PAD.bottom - ((ly(y) - ly(y0)) / (ly(y1) - ly(y0))) * (height - PAD.top - PAD.bottom);
    const ix = (px) => x0 + ((px - PAD.left) / (width - PAD.left - PAD.right)) * (x1 - x0);
    return { width, height, sx, sy, ix };
  };

  const drawAxes = ({ width, height, sx, sy }) => {
    ctx.strokeStyle = "#e3e6ec";
    ctx.fillStyle = "#667085";
    ctx.font = "11px system-ui, sans-serif";
    ctx.lineWidth = 1;
    ctx.textAlign = "center";
    for (const t of niceTicks(view.x0, view.x1, 6)) {
      const x = sx(t);
      ctx.beginPath(); ctx.moveTo(x, PAD.top); ctx.lineTo(x, height - PAD.bottom); ctx.stroke();
      ctx.fillText(options.formatX ? options.formatX(t) : formatNumber(t), x, height - PAD.bottom + 14);
    }
    ctx.textAlign = "right";
    const yTicks = options.logY
      ? niceTicks(Math.floor(Math.log10(view.y0)), Math.ceil(Math.log10(view.y1)), 5).map((e) => Math.pow(10, e))
          .filter((t) => t >= view.y0 && t <= view.y1)
      : niceTicks(view.y0, view.y1, 5);
    for (const t of yTicks) {
      const y = sy(t);
      ctx.beginPath(); ctx.moveTo(PAD.left, y); ctx.lineTo(width - PAD.right, y); ctx.stroke();
      ctx.fillText(formatNumber(t), PAD.left - 6, y + 4);
    }
    ctx.textAlign = "center";
    if (options.xLabel) ctx.fillText(options.xLabel, (PAD.left + width - PAD.right) / 2, height - 6);
  };

  const colorOf = (series, i) => series.color || runColor(i);

  const drawBox = (s) => {
    if (!drag || drag.to === undefined) return;
    ctx.fillStyle = "rgba(36, 86, 214, 0.12)";
    ctx.fillRect(Math.min(drag.from, drag.to), PAD.top, Math.abs(drag.to - drag.from), s.height - PAD.top - PAD.bottom);
  };

  /** Repaint the kept bitmap of the plot and the zoom box over it (no line is redrawn). */
  const drawDrag = () => {
    if (!plot || !view) { draw(); return; }
    const ratio = window.devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(plot, 0, 0);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    drawBox(scales());
  };

  const draw = () => {
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, canvas.clientWidth * ratio);
    canvas.height = Math.max(1, canvas.clientHeight * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, canvas.clientWidth, canvas.clientHeight);
    view = extent(options.series, options.logY);
    plot = null;
    if (!view) {
      ctx.fillStyle = "#667085";
      ctx.fillText("No data", canvas.clientWidth / 2, canvas.clientHeight / 2);
      frame.dataset.chartReady = "empty";
      return;
    }
    const s = scales();
    drawAxes(s);
    ctx.save();
    ctx.beginPath();
    ctx.rect(PAD.left, PAD.top, s.width - PAD.left - PAD.right, s.height - PAD.top - PAD.bottom);
    ctx.clip();
    const many = options.series.length > LEGEND_OPEN_UP_TO;
    options.series.forEach((series, i) => {
      ctx.strokeStyle = colorOf(series, i);
      ctx.lineWidth = many ? 1 : 1.5;
      ctx.beginPath();
      let pen = false;
      for (const [x, y] of series.points) {
        if (!Number.isFinite(y) || (options.logY && y <= 0)) { pen = false; continue; }
        if (pen) ctx.lineTo(s.sx(x), s.sy(y)); else ctx.moveTo(s.sx(x), s.sy(y));
        pen = true;
      }
      ctx.stroke();
      if (series.points.length === 1) {
        const [x, y] = series.points[0];
        ctx.fillStyle = ctx.strokeStyle;
        ctx.fillRect(s.sx(x) - 2, s.sy(y) - 2, 4, 4);
      }
    });
    ctx.restore();
    if (canvas.width > 1 && canvas.height > 1) {
      plot = plot && plot.width === canvas.width && plot.height === canvas.height ? plot : document.createElement("canvas");
      plot.width = canvas.width;
      plot.height = canvas.height;
      plot.getContext("2d").drawImage(canvas, 0, 0);
    }
    drawBox(s);
    frame.dataset.chartReady = String(options.series.reduce((n, series) => n + series.points.length, 0));
  };

  const drawLegend = () => {
    const keys = options.series.map((series, i) => h("span", { class: "chart-key" },
      h("span", { class: "swatch", style: { background: colorOf(series, i) } }), series.label));
    if (options.series.length <= LEGEND_OPEN_UP_TO) {
      legendBox.replaceChildren(h("div", { class: "chart-legend" }, keys));
      return;
    }
    const folded = h("details", { class: "chart-legend", open: legendOpen },
      h("summary", null, `Legend: ${options.series.length} runs`), h("div", { class: "chart-legend-keys" }, keys));
    folded.addEventListener("toggle", () => { legendOpen = folded.open; });
    legendBox.replaceChildren(folded);
  };

  const nearest = (points, x) => {
    let lo = 0, hi = points.length - 1;
    if (hi < 0) return null;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (points[mid][0] < x) lo = mid + 1; else hi = mid;
    }
    if (lo > 0 && Math.abs(points[lo - 1][0] - x) < Math.abs(points[lo][0] - x)) lo -= 1;
    return points[lo];
  };

  /** The READOUT_SERIES series whose value at x lies nearest the pointer, sorted by value. */
  const showReadout = (px, py) => {
    const s = scales();
    const x = s.ix(px);
    const near = [];
    options.series.forEach((series, i) => {
      const point = nearest(series.points, x);
      if (!point) return;
      const [, y] = point;
      const drawable = Number.isFinite(y) && !(options.logY && y <= 0);
      near.push({ series, i, y, distance: drawable ? Math.abs(s.sy(y) - py) : Infinity });
    });
    near.sort((a, b) => a.distance - b.distance);
    const shown = near.slice(0, READOUT_SERIES).sort((a, b) => (Number.isNaN(a.y) ? 1 : Number.isNaN(b.y) ? -1 : b.y - a.y));
    replace(readout,
      h("div", { class: "muted" }, `${options.xLabel || "x"}: ${options.formatX ? options.formatX(x) : formatNumber(x)}`),
      shown.map(({ series, i, y }) => h("div", { class: "readout-row", style: { color: colorOf(series, i) } },
        h("span", null, series.label), h("span", null, formatNumber(y)))),
      near.length > shown.length ? h("div", { class: "muted readout-more" }, `${near.length - shown.length} more runs`) : null);
    readout.hidden = false;
  };

  const hover = (event) => {
    if (!view) return;
    const rect = canvas.getBoundingClientRect();
    const px = event.clientX - rect.left, py = event.clientY - rect.top;
    if (drag) { drag.to = px; drawDrag(); return; }
    // One read-out per frame however fast the pointer moves.
    if (pendingHover) { pendingHover.px = px; pendingHover.py = py; return; }
    pendingHover = { px, py };
    requestAnimationFrame(() => {
      const { px: x, py: y } = pendingHover;
      pendingHover = null;
      if (view && !drag) showReadout(x, y);
    });
  };

  canvas.addEventListener("mousemove", hover);
  canvas.addEventListener("mouseleave", () => { readout.hidden = true; });
  canvas.addEventListener("mousedown", (event) => {
    drag = { from: event.clientX - canvas.getBoundingClientRect().left };
  });
  window.addEventListener("mouseup", finishDrag);
  function finishDrag() {
    if (!drag) return;
    const { from, to } = drag;
    drag = null;
    if (to === undefined || Math.abs(to - from) < 5 || !view) { draw(); return; }
    const s = scales();
    const a = s.ix(Math.min(from, to)), b = s.ix(Math.max(from, to));
    drawDrag(); // the box goes while the window loads
    if (options.onZoom) options.onZoom(a, b); else draw();
  }
  canvas.addEventListener("dblclick", () => { if (options.onReset) options.onReset(); });
  const resize = new ResizeObserver(() => draw());
  resize.observe(canvas);
  drawLegend();
  draw();

  return {
    update(next) {
      options = { ...options, ...next };
      drawLegend();
      draw();
    },
    destroy() {
      resize.disconnect();
      window.removeEventListener("mouseup", finishDrag);
      frame.remove();
    },
    element: frame,
  };
}

/** Exponential moving average with bias correction (weight in [0, 1)); NaN points pass through. */
export function smooth(points, weight) {
  if (!weight) return points;
  let last = 0, n = 0;
  return points.map(([x, y]) => {
    if (!Number.isFinite(y)) return [x, y];
    last = last * weight + (1 - weight) * y;
    n += 1;
    return [x, last / (1 - Math.pow(weight, n))];
  });
}
