// The REST routes the server already serves (and guards). Paths are relative to the page, so the
// UI works behind a path prefix too.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function url(path, query) {
  let target = "ajax-api/" + path.replace(/^\//, "");
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null) continue;
      for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
    }
    const text = params.toString();
    if (text) target += "?" + text;
  }
  return target;
}

async function call(method, path, { query, body, signal } = {}) {
  const init = { method, signal, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url(path, query), init);
  const text = await response.text();
  let data = {};
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text };
    }
  }
  if (!response.ok) {
    throw new ApiError(response.status, data.error_code || "HTTP_" + response.status,
                       data.message || response.statusText);
  }
  return data;
}

export const api = {
  get: (path, query, signal) => call("GET", path, { query, signal }),
  post: (path, body, signal) => call("POST", path, { body, signal }),
  patch: (path, body) => call("PATCH", path, { body }),
  delete: (path, body) => call("DELETE", path, { body }),
};

/** The artifact download route for a run's file (the server answers it as an attachment). */
export function artifactUrl(runId, path) {
  const params = new URLSearchParams({ run_uuid: runId, path });
  return "get-artifact?" + params.toString();
}
