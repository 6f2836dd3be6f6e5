// Building DOM nodes without HTML strings: every text from the server becomes a text node, so
// nothing a run, tag or artifact contains can turn into markup or script.

/** h("a", {href: "#/x", class: "btn", onclick: fn}, "text", child, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith("on") && typeof value === "function") {
        el.addEventListener(name.slice(2), value);
      } else if (name === "class") {
        el.className = value;
      } else if (name === "style" && typeof value === "object") {
        Object.assign(el.style, value);
      } else if (name === "dataset") {
        Object.assign(el.dataset, value);
      } else if (name === "href" && !safeHref(String(value))) {
        el.setAttribute("href", "#");
      } else if (name === "value" || name === "checked" || name === "disabled" || name === "selected") {
        el[name] = value;
      } else {
        el.setAttribute(name, value === true ? "" : String(value));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Only in-app hashes, relative paths and http(s) links; never javascript:, data: or others. */
export function safeHref(href) {
  if (href.startsWith("#") || href.startsWith("/") || href.startsWith("?")) return true;
  if (/^[a-z0-9._-]+(\/|$)/i.test(href) && !href.includes(":")) return true;
  try {
    const url = new URL(href, location.href);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}
