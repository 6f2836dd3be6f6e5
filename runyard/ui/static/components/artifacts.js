// A run's artifact browser: a lazily loaded tree (one artifacts/list call per opened directory) and
// a preview of the selected file. Previews never execute content: text goes in through text nodes
// only, CSV/TSV is parsed here into table cells, images are decoded from a blob typed by their
// extension (never SVG, which shows as text), and anything else offers its size and a download.

import { api, artifactUrl } from "../api.js";
import { h, replace } from "../dom.js";
import { renderMarkdown } from "./markdown.js";

const TEXT_CAP = 1024 * 1024;            // bytes of a text file shown
const IMAGE_CAP = 25 * 1024 * 1024;      // larger images are offered as downloads
const TABLE_ROWS = 1000;
const TABLE_COLUMNS = 200;
const LIST_PAGES = 50;                   // artifacts/list pages read per directory

const IMAGE_TYPES = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif",
                      webp: "image/webp", bmp: "image/bmp", ico: "image/x-icon" };
const TEXT_EXTENSIONS = new Set([
  "txt", "log", "out", "err", "py", "pyi", "md", "markdown", "rst", "yaml", "yml", "toml", "ini", "cfg",
  "conf", "properties", "env", "sh", "bash", "zsh", "r", "js", "mjs", "ts", "java", "scala", "kt", "go",
  "rs", "c", "h", "cc", "cpp", "hpp", "cu", "sql", "xml", "svg", "html", "htm", "css", "diff", "patch",
  "jsonl", "ndjson", "lock", "gitignore", "dockerfile", "tex", "bib", "proto", "pbtxt", "prototxt",
]);
const TEXT_NAMES = new Set(["MLmodel", "Dockerfile", "Makefile", "LICENSE", "README", "MLproject"]);
// Shown as text on purpose, with a note: these would run script if a browser rendered them.
const ACTIVE_EXTENSIONS = new Set(["svg", "html", "htm", "xml", "js", "mjs"]);

export function formatBytes(size) {
  if (size === undefined || size === null || size === "") return "";
  const n = Number(size);
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

function baseName(path) {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** How a file is previewed, from its name alone (never from its bytes). */
export function previewKind(path) {
  const name = baseName(path);
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
  if (IMAGE_TYPES[ext]) return { kind: "image", type: IMAGE_TYPES[ext], ext };
  if (ext === "json" || ext === "ipynb") return { kind: "json", ext };
  if (ext === "csv") return { kind: "table", separator: ",", ext };
  if (ext === "tsv" || ext === "tab") return { kind: "table", separator: "\t", ext };
  if (ext === "md" || ext === "markdown") return { kind: "markdown", ext };
  if (TEXT_EXTENSIONS.has(ext) || TEXT_NAMES.has(name) || (!ext && /^[A-Z][A-Za-z_-]*$/.test(name))) {
    return { kind: "text", ext, active: ACTIVE_EXTENSIONS.has(ext) };
  }
  return { kind: "binary", ext };
}

/** Parse delimited text (RFC 4180 quoting) into at most `maxRows` rows; `more` tells if rows remain. */
export function parseDelimited(text, separator, maxRows) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  let i = 0;
  const endRow = () => { row.push(cell); rows.push(row); row = []; cell = ""; };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === "\"") {
        if (text[i + 1] === "\"") { cell += "\""; i += 2; continue; }
        quoted = false; i++; continue;
      }
      cell += c; i++; continue;
    }
    if (c === "\"" && cell === "") { quoted = true; i++; continue; }
    if (c === separator) { row.push(cell); cell = ""; i++; continue; }
    if (c === "\n" || c === "\r") {
      endRow();
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      if (rows.length > maxRows) return { rows: rows.slice(0, maxRows), more: true };
      continue;
    }
    cell += c; i++;
  }
  if (cell !== "" || row.length) endRow();
  return { rows: rows.slice(0, maxRows), more: rows.length > maxRows };
}

/** Up to `cap` bytes of a URL's body: {bytes, truncated}; throws with the server's message on 4xx/5xx. */
async function readCapped(url, cap, signal) {
  const response = await fetch(url, { signal });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = JSON.parse(await response.text());
      if (body && body.message) message = body.message;
    } catch { /* not JSON: keep the status line */ }
    throw new Error(message);
  }
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > cap) {
      chunks.push(value.subarray(0, cap - size));
      size = cap;
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.length;
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) { bytes.set(chunk, at); at += chunk.length; }
  return { bytes, truncated };
}

function decode(bytes, truncated) {
  // stream: true drops a multi-byte character cut in half at the cap instead of showing U+FFFD.
  return new TextDecoder("utf-8").decode(bytes, { stream: truncated });
}

function looksBinary(bytes) {
  const head = bytes.subarray(0, 8000);
  return head.includes(0);
}

function downloadLink(runId, path, label = "Download") {
  return h("a", { href: artifactUrl(runId, path), download: baseName(path), class: "btn download" }, label);
}

function truncationNote(runId, path, size, shown) {
  return h("p", { class: "note" }, `Showing the first ${formatBytes(shown)}` +
    (size ? ` of ${formatBytes(size)}` : "") + ". ", downloadLink(runId, path, "Download the whole file"));
}

const CHUNK_LINES = 500;
const CHUNKED_ABOVE = 64 * 1024;

/**
 * Text in a <pre>. A long text goes in as blocks of lines that the browser lays out only when
 * scrolled into view (content-visibility), so a 1 MB log opens, scrolls and resizes smoothly.
 */
function textBlock(text) {
  if (text.length <= CHUNKED_ABOVE) return h("pre", { class: "artifact-text" }, text);
  const chunks = [];
  let start = 0;
  while (start < text.length) {
    let end = start;
    let lines = 0;
    while (lines < CHUNK_LINES && end < text.length) {
      const next = text.indexOf("\n", end);
      end = next < 0 ? text.length : next + 1;
      lines++;
    }
    chunks.push(h("span", { class: "chunk", style: { containIntrinsicSize: `auto ${lines * 16}px` } },
                  text.slice(start, end)));
    start = end;
  }
  return h("pre", { class: "artifact-text chunked" }, chunks);
}

function tableBlock(text, separator, truncated) {
  const parsed = parseDelimited(text, separator, TABLE_ROWS + 1);
  let rows = parsed.rows;
  // A cut-off file ends in a partial row; drop it rather than show half a record.
  if (truncated && !parsed.more && rows.length > 1) rows = rows.slice(0, -1);
  if (!rows.length) return [h("p", { class: "muted" }, "Empty file.")];
  const [header, ...body] = rows;
  const shown = body.slice(0, TABLE_ROWS);
  const columns = Math.min(TABLE_COLUMNS, Math.max(header.length, ...shown.map((r) => r.length)));
  const cells = (tag, row) => Array.from({ length: columns }, (_, k) => h(tag, null, row[k] ?? ""));
  const notes = [];
  if (parsed.more || body.length > TABLE_ROWS || truncated) notes.push(`Showing the first ${shown.length.toLocaleString()} rows.`);
  if (header.length > TABLE_COLUMNS) notes.push(`Showing ${TABLE_COLUMNS} of ${header.length} columns.`);
  return [
    notes.length ? h("p", { class: "note" }, notes.join(" ")) : null,
    h("div", { class: "table-wrap" }, h("table", { class: "grid artifact-table" },
      h("thead", null, h("tr", null, cells("th", header))),
      h("tbody", null, shown.map((row) => h("tr", null, cells("td", row)))))),
  ];
}

function previewHead(runId, { path, file_size: size }) {
  return h("div", { class: "preview-head" }, h("strong", { class: "preview-path" }, path),
           size !== undefined ? h("span", { class: "muted" }, formatBytes(size)) : null,
           downloadLink(runId, path));
}

/** Render a preview of one file into `pane`; returns a function that releases what it holds. */
async function preview(pane, runId, entry, signal, forceText, showAsText) {
  const { path, file_size: size } = entry;
  const info = previewKind(path);
  const kind = forceText ? "text" : info.kind;
  const head = previewHead(runId, entry);
  const url = artifactUrl(runId, path);

  if (kind === "binary") {
    replace(pane, head, h("p", { class: "muted" }, "No preview for this type of file."),
            h("button", { onclick: showAsText }, "Show as text"));
    return null;
  }
  if (kind === "image") {
    if (size !== undefined && Number(size) > IMAGE_CAP) {
      replace(pane, head, h("p", { class: "muted" }, `Too large to preview (${formatBytes(size)}).`));
      return null;
    }
    replace(pane, head, h("p", { class: "muted" }, "Loading…"));
    const { bytes } = await readCapped(url, IMAGE_CAP, signal);
    // The blob's type comes from the extension, an image type: whatever the bytes are, the browser
    // only tries to decode them as that image format.
    const objectUrl = URL.createObjectURL(new Blob([bytes], { type: info.type }));
    const img = h("img", { src: objectUrl, alt: path, class: "artifact-image" });
    const caption = h("p", { class: "muted image-size" });
    img.addEventListener("load", () => { caption.textContent = `${img.naturalWidth} × ${img.naturalHeight} px`; });
    img.addEventListener("error", () => img.replaceWith(h("p", { class: "error" }, "This file could not be decoded as an image.")));
    replace(pane, head, h("div", { class: "image-wrap" }, img), caption);
    return () => URL.revokeObjectURL(objectUrl);
  }

  replace(pane, head, h("p", { class: "muted" }, "Loading…"));
  const { bytes, truncated } = await readCapped(url, TEXT_CAP, signal);
  if (signal.aborted) return null;
  const text = decode(bytes, truncated);
  const note = truncated ? truncationNote(runId, path, size, bytes.length) : null;
  if (!forceText && info.kind !== "table" && looksBinary(bytes) && kind !== "json") {
    replace(pane, head, h("p", { class: "muted" }, "This looks like a binary file; no preview."));
    return null;
  }
  let body;
  if (kind === "json") {
    body = [textBlock(text)];
    if (!truncated) {
      try {
        body = [textBlock(JSON.stringify(JSON.parse(text), null, 2))];
      } catch {
        body = [h("p", { class: "note" }, "Not valid JSON; shown as it is."), textBlock(text)];
      }
    }
  } else if (kind === "table") {
    body = tableBlock(text, info.separator, truncated);
  } else if (kind === "markdown") {
    const holder = h("div", { class: "md-preview" }, textBlock(text));
    let rendered = false;
    const toggle = h("button", { onclick: () => {
      rendered = !rendered;
      replace(holder, rendered ? renderMarkdown(text) : textBlock(text));
      toggle.textContent = rendered ? "Show source" : "Render Markdown";
    } }, "Render Markdown");
    body = [h("div", { class: "toolbar" }, toggle), holder];
  } else {
    body = [info.active ? h("p", { class: "note" }, `Shown as text: a .${info.ext} file is never rendered here.`) : null,
            textBlock(text)];
  }
  replace(pane, head, note, body);
  return null;
}

/** Every entry of one directory (following page tokens), directories first, then by name. */
async function listDirectory(runId, path) {
  const files = [];
  let token;
  for (let page = 0; page < LIST_PAGES; page++) {
    const query = { run_id: runId };
    if (path) query.path = path;
    if (token) query.page_token = token;
    const body = await api.get("2.0/mlflow/artifacts/list", query);
    files.push(...(body.files || []));
    token = body.next_page_token;
    if (!token) break;
  }
  return files.sort((a, b) => (Number(b.is_dir || false) - Number(a.is_dir || false)) || a.path.localeCompare(b.path));
}

/**
 * The browser for one run. `selected` is a path to open first (its directories are expanded);
 * `onSelect(path)` tells the page, which keeps it in the URL. Returns {element, dispose}.
 */
export function artifactBrowser(runId, { selected, onSelect } = {}) {
  const tree = h("ul", { class: "tree", role: "tree", "aria-label": "Artifacts" });
  const pane = h("div", { class: "preview", "aria-live": "polite" },
                 h("p", { class: "muted" }, "Select a file to preview it."));
  const element = h("div", { class: "artifacts" }, h("div", { class: "tree-pane" }, tree), pane);
  const nodes = new Map(); // path -> {row, entry, children, open}
  let release = null;
  let controller = null;
  let current = null;

  const select = async (entry, forceText = false) => {
    if (controller) controller.abort();
    if (release) { release(); release = null; }
    controller = new AbortController();
    const mine = controller;
    if (current) current.classList.remove("selected");
    current = nodes.get(entry.path)?.link || null;
    if (current) current.classList.add("selected");
    try {
      const done = await preview(pane, runId, entry, mine.signal, forceText, () => select(entry, true));
      if (mine.signal.aborted) { if (done) done(); } else release = done;
    } catch (error) {
      if (mine.signal.aborted || error.name === "AbortError") return;
      replace(pane, previewHead(runId, entry), h("p", { class: "error" }, `Could not load this file: ${error.message || error}`));
    }
  };

  const toggle = async (node, forceOpen = false) => {
    const open = forceOpen || !node.open;
    node.open = open;
    node.link.setAttribute("aria-expanded", String(open));
    if (!open) { node.children.hidden = true; return; }
    node.children.hidden = false;
    if (!node.loaded) {
      node.loaded = true;
      await fill(node.children, node.entry.path);
    }
  };

  const row = (entry) => {
    const name = baseName(entry.path);
    const href = `#/runs/${encodeURIComponent(runId)}?tab=artifacts&path=${encodeURIComponent(entry.path)}`;
    if (entry.is_dir) {
      const children = h("ul", { role: "group", hidden: true });
      const link = h("a", { href, class: "dir", "aria-expanded": "false", dataset: { path: entry.path } }, name + "/");
      const node = { entry, link, children, open: false, loaded: false };
      link.addEventListener("click", (event) => {
        event.preventDefault();
        toggle(node).catch((error) => replace(children, h("li", { class: "error" }, error.message || String(error))));
      });
      nodes.set(entry.path, node);
      return h("li", { role: "treeitem" }, link, children);
    }
    const link = h("a", { href, class: "file", dataset: { path: entry.path } }, name);
    link.addEventListener("click", (event) => {
      event.preventDefault();
      if (onSelect) onSelect(entry.path);
      select(entry);
    });
    nodes.set(entry.path, { entry, link });
    return h("li", { role: "treeitem" }, link, " ", h("span", { class: "size" }, formatBytes(entry.file_size)));
  };

  const fill = async (list, path) => {
    replace(list, h("li", { class: "muted" }, "Loading…"));
    const files = await listDirectory(runId, path);
    replace(list, files.length ? files.map(row) : h("li", { class: "muted" }, path ? "Empty folder." : "No artifacts."));
  };

  const ready = (async () => {
    try {
      await fill(tree, "");
    } catch (error) {
      replace(tree, h("li", { class: "error" }, `Could not list artifacts: ${error.message || error}`));
      return;
    }
    if (!selected) return;
    // Open each folder on the way to the selected path, then preview it.
    const parts = selected.split("/");
    for (let k = 1; k < parts.length; k++) {
      const node = nodes.get(parts.slice(0, k).join("/"));
      if (!node || !node.children) return;
      await toggle(node, true);
    }
    const target = nodes.get(selected);
    if (!target) return;
    if (target.children) await toggle(target, true);
    else await select(target.entry);
  })();

  const dispose = () => {
    if (controller) controller.abort();
    if (release) release();
  };
  return { element, ready, dispose };
}
