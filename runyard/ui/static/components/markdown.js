// A small Markdown renderer that is safe by construction: it builds DOM nodes with h() and text
// nodes only, never an HTML string. Raw HTML in the source stays literal text, and a link becomes
// an <a> only when its target resolves to http(s) (relative paths and #fragments resolve to the
// page's own http(s) URL); javascript:, data:, vbscript: and every other scheme stay plain text.
//
// Supported: ATX headings, paragraphs, hard breaks, *emphasis*, **strong**, ~~strike~~, `code`,
// fenced code blocks, - / 1. lists (nested by indentation), > blockquotes, --- rules, GFM pipe
// tables, [links](url "title"), <http://autolinks>, backslash escapes. Images are shown as links
// (the page's CSP would block foreign images anyway).
//
// Every step is linear in the input (no backtracking regular expressions over user text), and
// nesting is bounded so a hostile description cannot hang or overflow the page.

import { h } from "../dom.js";

const MAX_DEPTH = 16;
const MAX_INPUT = 100_000;
const MAX_LINK = 2_000; // longest link text or target looked at

/** The element names the renderer may produce (tests check no other element appears). */
export const ALLOWED_TAGS = Object.freeze([
  "div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "del", "code", "pre",
  "ul", "ol", "li", "blockquote", "a", "br", "hr", "table", "thead", "tbody", "tr", "th", "td",
]);

/** Render Markdown text into a <div class="markdown">. */
export function renderMarkdown(source) {
  let text = String(source ?? "").replace(/\r\n?/g, "\n");
  if (text.length > MAX_INPUT) text = text.slice(0, MAX_INPUT);
  return h("div", { class: "markdown" }, blocks(text.split("\n"), 0));
}

/** The URL a link may point at, or null when its scheme is not http(s). */
export function safeLinkTarget(target) {
  // Browsers drop ASCII tab/newline inside URLs and trim spaces and C0 controls at both ends, so
  // "java\tscript:" must be judged as "javascript:"; the URL parser does the same, then we check.
  let url;
  try {
    url = new URL(String(target), document.baseURI);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  return url;
}

// ---------------------------------------------------------------------------------------------
// Blocks

const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const BULLET = /^( {0,3})([-*+])([ \t]+)(.*)$/;
const ORDERED = /^( {0,3})(\d{1,9})([.)])([ \t]+)(.*)$/;
const BLANK = /^[ \t]*$/;

function blocks(lines, depth) {
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (BLANK.test(line)) { i++; continue; }
    let m;
    if ((m = FENCE.exec(line))) {
      i = fenced(lines, i, m, out);
    } else if ((m = HEADING.exec(line))) {
      out.push(h("h" + m[1].length, null, inline(stripClosingHashes(m[2] || ""), 0)));
      i++;
    } else if (RULE.test(line)) {
      out.push(h("hr"));
      i++;
    } else if (QUOTE.test(line)) {
      i = quote(lines, i, out, depth);
    } else if (BULLET.test(line) || ORDERED.test(line)) {
      i = list(lines, i, out, depth);
    } else if (isTableStart(lines, i)) {
      i = table(lines, i, out);
    } else {
      i = paragraph(lines, i, out);
    }
  }
  return out;
}

function stripClosingHashes(text) {
  let end = text.length;
  while (end > 0 && text[end - 1] === "#") end--;
  if (end === text.length) return text;
  if (end === 0) return "";
  return text[end - 1] === " " || text[end - 1] === "\t" ? text.slice(0, end).trimEnd() : text;
}

function fenced(lines, start, match, out) {
  const marker = match[1];
  const info = match[2].trim().split(/\s+/)[0] || "";
  if (marker[0] === "`" && match[2].includes("`")) {
    return paragraph(lines, start, out); // an inline code span, not a fence
  }
  const body = [];
  let i = start + 1;
  for (; i < lines.length; i++) {
    const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(lines[i]);
    if (close && close[1][0] === marker[0] && close[1].length >= marker.length) { i++; break; }
    body.push(lines[i]);
  }
  const language = /^[\w+.-]{1,40}$/.test(info) ? "language-" + info : null;
  out.push(h("pre", null, h("code", { class: language }, body.join("\n"))));
  return i;
}

function quote(lines, start, out, depth) {
  const inner = [];
  let i = start;
  for (; i < lines.length; i++) {
    const m = QUOTE.exec(lines[i]);
    if (m) { inner.push(m[1]); continue; }
    // A lazy continuation line keeps the quoted paragraph going.
    if (BLANK.test(lines[i]) || inner.length === 0 || BLANK.test(inner[inner.length - 1])) break;
    if (startsBlock(lines[i])) break;
    inner.push(lines[i]);
  }
  out.push(h("blockquote", null, nested(inner, depth)));
  return i;
}

function nested(lines, depth) {
  if (depth + 1 >= MAX_DEPTH) return h("p", null, lines.join("\n"));
  return blocks(lines, depth + 1);
}

function listMarker(line) {
  let m = BULLET.exec(line);
  if (m) return { ordered: false, bullet: m[2], indent: m[1].length + 1 + m[3].length, rest: m[4] };
  m = ORDERED.exec(line);
  if (m) {
    return { ordered: true, bullet: m[3], start: Number(m[2]),
             indent: m[1].length + m[2].length + 1 + m[4].length, rest: m[5] };
  }
  return null;
}

function list(lines, start, out, depth) {
  const first = listMarker(lines[start]);
  const items = [];
  let i = start;
  let loose = false;
  while (i < lines.length) {
    const marker = listMarker(lines[i]);
    if (!marker || marker.ordered !== first.ordered || marker.bullet !== first.bullet) break;
    const width = Math.min(marker.indent, 6);
    const body = [marker.rest];
    i++;
    let sawBlank = false;
    while (i < lines.length) {
      const line = lines[i];
      if (BLANK.test(line)) { body.push(""); sawBlank = true; i++; continue; }
      const indent = line.length - line.trimStart().length;
      if (indent >= width) { body.push(line.slice(width)); sawBlank = false; i++; continue; }
      if (sawBlank || startsBlock(line) || listMarker(line)) break;
      body.push(line); // lazy continuation of the item's paragraph
      i++;
    }
    while (body.length && body[body.length - 1] === "") body.pop();
    if (body.includes("")) loose = true;
    items.push(body);
    const next = i < lines.length ? listMarker(lines[i]) : null;
    if (sawBlank && next && next.ordered === first.ordered && next.bullet === first.bullet) loose = true;
  }
  const children = items.map((body) => {
    const content = nested(body, depth);
    const parts = Array.isArray(content) ? content : [content];
    // A tight list shows its paragraphs' text directly in the item.
    const unwrapped = loose ? parts : parts.flatMap((el) => (el.tagName === "P" ? [...el.childNodes] : [el]));
    return h("li", null, unwrapped);
  });
  const attrs = first.ordered && first.start !== 1 ? { start: String(first.start) } : null;
  out.push(h(first.ordered ? "ol" : "ul", attrs, children));
  return i;
}

function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) ||
         BULLET.test(line) || ORDERED.test(line);
}

function paragraph(lines, start, out) {
  const body = [];
  let i = start;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (BLANK.test(line)) break;
    if (body.length && (startsBlock(line) || isTableStart(lines, i))) break;
    body.push(line);
  }
  if (i === start) { body.push(lines[i]); i++; }
  const nodes = [];
  body.forEach((line, index) => {
    const last = index === body.length - 1;
    let content = line.trimStart();
    let hardBreak = false;
    if (!last && / {2,}$/.test(content)) { hardBreak = true; content = content.trimEnd(); }
    else if (!last && content.endsWith("\\") && !content.endsWith("\\\\")) {
      hardBreak = true; content = content.slice(0, -1);
    } else content = content.trimEnd();
    nodes.push(...inline(content, 0));
    if (!last) nodes.push(hardBreak ? h("br") : "\n");
  });
  out.push(h("p", null, nodes));
  return i;
}

// GFM tables: a header row, a delimiter row (| --- | :-: |), then body rows.
function isTableStart(lines, i) {
  return i + 1 < lines.length && lines[i].includes("|") &&
         /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/.test(lines[i + 1]) &&
         splitRow(lines[i]).length === splitRow(lines[i + 1]).length;
}

function splitRow(line) {
  let text = line.trim();
  if (text.startsWith("|")) text = text.slice(1);
  if (text.endsWith("|") && !text.endsWith("\\|")) text = text.slice(0, -1);
  const cells = [];
  let cell = "";
  for (let k = 0; k < text.length; k++) {
    if (text[k] === "\\" && text[k + 1] === "|") { cell += "|"; k++; }
    else if (text[k] === "|") { cells.push(cell.trim()); cell = ""; }
    else cell += text[k];
  }
  cells.push(cell.trim());
  return cells;
}

function table(lines, start, out) {
  const header = splitRow(lines[start]);
  const aligns = splitRow(lines[start + 1]).map((spec) => {
    const left = spec.startsWith(":");
    const right = spec.endsWith(":");
    return left && right ? "center" : right ? "right" : left ? "left" : null;
  });
  const cell = (tag, text, k) => h(tag, aligns[k] ? { style: { textAlign: aligns[k] } } : null, inline(text, 0));
  const rows = [];
  let i = start + 2;
  for (; i < lines.length && !BLANK.test(lines[i]) && lines[i].includes("|") && !startsBlock(lines[i]); i++) {
    const values = splitRow(lines[i]);
    rows.push(h("tr", null, header.map((_, k) => cell("td", values[k] || "", k))));
  }
  out.push(h("table", null, h("thead", null, h("tr", null, header.map((text, k) => cell("th", text, k)))),
             h("tbody", null, rows)));
  return i;
}

// ---------------------------------------------------------------------------------------------
// Inline content

const PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/** Inline Markdown to an array of nodes and strings. */
function inline(text, depth) {
  // Remembers searches that found nothing, so each delimiter kind is scanned once: "*a *b *c ..."
  // or a wall of backticks stays linear instead of quadratic.
  const state = { noCode: new Map(), noCloser: new Map(), lastClose: text.lastIndexOf("]"),
                  lastParen: text.lastIndexOf(")") };
  const out = [];
  let plain = "";
  const flush = () => { if (plain) { out.push(plain); plain = ""; } };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length && PUNCTUATION.includes(text[i + 1])) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (c === "`") {
      const span = codeSpan(text, i, state);
      if (span) { flush(); out.push(span.node); i = span.end; continue; }
      let run = i;
      while (text[run] === "`") run++;
      plain += text.slice(i, run);
      i = run;
      continue;
    }
    if (c === "!" && text[i + 1] === "[") {
      const link = linkAt(text, i + 1, depth, state);
      if (link) { flush(); out.push(link.node); i = link.end; continue; }
    }
    if (c === "[") {
      const link = linkAt(text, i, depth, state);
      if (link) { flush(); out.push(link.node); i = link.end; continue; }
    }
    if (c === "<") {
      const auto = autolink(text, i);
      if (auto) { flush(); out.push(auto.node); i = auto.end; continue; }
    }
    if ((c === "*" || c === "_" || c === "~") && depth < MAX_DEPTH) {
      const span = emphasis(text, i, depth, state);
      if (span) { flush(); out.push(span.node); i = span.end; continue; }
      let run = i;
      while (text[run] === c) run++;
      plain += text.slice(i, run);
      i = run;
      continue;
    }
    plain += c;
    i++;
  }
  flush();
  return out;
}

function codeSpan(text, start, state) {
  let run = start;
  while (text[run] === "`") run++;
  const width = run - start;
  if (state.noCode.has(width) && state.noCode.get(width) <= run) return null;
  let k = run;
  while (k < text.length) {
    const open = text.indexOf("`", k);
    if (open < 0) break;
    let close = open;
    while (text[close] === "`") close++;
    if (close - open === width) {
      let body = text.slice(run, open);
      if (body.length > 2 && body.startsWith(" ") && body.endsWith(" ") && body.trim()) body = body.slice(1, -1);
      return { node: h("code", null, body), end: close };
    }
    k = close;
  }
  state.noCode.set(width, run);
  return null;
}

function isSpace(ch) {
  return ch === undefined || ch === " " || ch === "\t" || ch === "\n";
}

function isWordChar(ch) {
  return ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
}

function emphasis(text, start, depth, state) {
  const c = text[start];
  let run = start;
  while (text[run] === c) run++;
  const width = run - start;
  if (c === "~" && width !== 2) return null;
  if (isSpace(text[run])) return null; // an opener must touch the text it wraps
  if (c === "_" && isWordChar(text[start - 1])) return null; // snake_case stays as typed
  const sizes = c === "~" ? [2] : width >= 3 ? [3, 2, 1] : [width];
  for (const size of sizes) {
    const close = findCloser(text, start + size, c, size, state);
    if (close < 0) continue;
    const inner = text.slice(start + size, close);
    let node;
    if (c === "~") node = h("del", null, inline(inner, depth + 1));
    else if (size === 3) node = h("em", null, h("strong", null, inline(inner, depth + 1)));
    else node = h(size === 2 ? "strong" : "em", null, inline(inner, depth + 1));
    const lead = width - size;
    return { node: lead ? [c.repeat(lead), node] : node, end: close + size };
  }
  return null;
}

// The next run of exactly `size` delimiters that can close: not after a space, not inside a code
// span or link text, and for "_" not followed by a word character.
function findCloser(text, from, c, size, state) {
  const key = c + size;
  if (state.noCloser.has(key) && state.noCloser.get(key) <= from) return -1;
  let k = from;
  while (k < text.length) {
    const ch = text[k];
    if (ch === "\\") { k += 2; continue; }
    if (ch === "`") {
      const span = codeSpan(text, k, state);
      if (span) { k = span.end; continue; }
      while (text[k] === "`") k++;
      continue;
    }
    if (ch === c) {
      let end = k;
      while (text[end] === c) end++;
      const width = end - k;
      if (width >= size && k > from && !isSpace(text[k - 1]) && !(c === "_" && isWordChar(text[end]))) {
        return width === size ? k : end - size;
      }
      k = end;
      continue;
    }
    k++;
  }
  state.noCloser.set(key, from);
  return -1;
}

function linkAt(text, open, depth, state) {
  if (open > state.lastClose) return null;
  const image = text[open - 1] === "!" && open > 0;
  // Link text: up to the matching "]" (brackets may nest; escapes and code spans are skipped).
  let level = 0;
  let k = open;
  let close = -1;
  const limit = Math.min(text.length, open + MAX_LINK);
  for (; k < limit; k++) {
    const ch = text[k];
    if (ch === "\\") { k++; continue; }
    if (ch === "`") {
      const span = codeSpan(text, k, state);
      if (span) { k = span.end - 1; continue; }
    }
    if (ch === "[") level++;
    else if (ch === "]" && --level === 0) { close = k; break; }
  }
  if (close < 0 || text[close + 1] !== "(" || close > state.lastParen) return null;
  const target = linkTarget(text, close + 2);
  if (!target) return null;
  const label = text.slice(open + 1, close);
  const start = image ? open - 1 : open;
  const url = safeLinkTarget(target.href);
  if (!url) {
    // An unsafe target: the whole construct stays the literal text the author typed.
    return { node: text.slice(start, target.end), end: target.end };
  }
  const content = image ? (label || target.href) : inline(label, depth + 1);
  return { node: anchor(url, content, target.title), end: target.end };
}

// "(url)", "(<url with spaces>)", "(url "title")": returns {href, title, end} past ")".
function linkTarget(text, from) {
  let k = from;
  while (text[k] === " " || text[k] === "\t") k++;
  let href = "";
  if (text[k] === "<") {
    const end = indexWithin(text, ">", k);
    if (end < 0 || text.slice(k + 1, end).includes("\n")) return null;
    href = text.slice(k + 1, end);
    k = end + 1;
  } else {
    let level = 0;
    const begin = k;
    const limit = Math.min(text.length, k + MAX_LINK);
    for (; k < limit; k++) {
      const ch = text[k];
      if (ch === "\\" && PUNCTUATION.includes(text[k + 1])) { k++; continue; }
      if (ch === " " || ch === "\t" || ch === "\n") break;
      if (ch === "(") level++;
      if (ch === ")") { if (level === 0) break; level--; }
    }
    href = text.slice(begin, k).replace(/\\([!-\/:-@[-`{-~])/g, "$1");
  }
  while (text[k] === " " || text[k] === "\t") k++;
  let title = null;
  const quote = text[k];
  if (quote === "\"" || quote === "'") {
    const end = indexWithin(text, quote, k + 1);
    if (end < 0) return null;
    title = text.slice(k + 1, end);
    k = end + 1;
    while (text[k] === " " || text[k] === "\t") k++;
  }
  if (text[k] !== ")") return null;
  return { href, title, end: k + 1 };
}

function autolink(text, start) {
  let end = start + 1;
  const limit = Math.min(text.length, start + MAX_LINK);
  while (end < limit && !" \t\n<>".includes(text[end])) end++;
  if (text[end] !== ">") return null;
  const body = text.slice(start + 1, end);
  if (!/^[a-z][a-z0-9+.-]{1,31}:[^\s<>]*$/i.test(body)) return null;
  const url = safeLinkTarget(body);
  if (!url) return null; // stays literal text, "<" and all
  return { node: anchor(url, body, null), end: end + 1 };
}

function anchor(url, content, title) {
  const external = url.origin !== location.origin;
  return h("a", {
    href: url.href,
    title: title || null,
    target: external ? "_blank" : null,
    rel: external ? "noopener noreferrer nofollow" : null,
  }, content);
}

/** text.indexOf(needle, from), looking no further than MAX_LINK characters. */
function indexWithin(text, needle, from) {
  const found = text.slice(from, from + MAX_LINK).indexOf(needle);
  return found < 0 ? -1 : from + found;
}
