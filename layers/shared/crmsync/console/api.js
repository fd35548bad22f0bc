// The API client: the admin's key lives in sessionStorage only (never a URL, a log or localStorage);
// a 401 signs the admin out and sends them back to sign-in.
const KEY = "crmsync.apiKey";
export const base = document.querySelector('meta[name="api-base"]').content;

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  signIn(key) { sessionStorage.setItem(KEY, key); },
  signOut() { sessionStorage.removeItem(KEY); },
};

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const error = (body && body.error) || {};
    super(error.message || `The API answered ${status}.`);
    this.status = status;
    this.code = error.code || "http_" + status;
    this.fields = (error.details && error.details.fields) || [];
    this.details = error.details || {};
    this.retryAfter = retryAfter;
  }
}

export function url(path, query = {}) {
  const target = new URL(base + path, location.origin);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") target.searchParams.set(name, value);
  }
  return target;
}

export async function api(method, path, { body, query } = {}) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${session.key || ""}` };
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url(path, query), init);
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401) {
    session.signOut();
    location.hash = "#/sign-in";
  }
  if (!response.ok) throw new ApiError(response.status, data, response.headers.get("Retry-After"));
  return data;
}

export const get = (path, query) => api("GET", path, { query });
export const post = (path, body, query) => api("POST", path, { body, query });
export const put = (path, body, query) => api("PUT", path, { body, query });
export const del = (path, query) => api("DELETE", path, { query });

/** Every page of a cursor listing (`key` names the list in each page). */
export async function all(path, key, query = {}) {
  const items = [];
  let cursor;
  do {
    const page = await get(path, { ...query, cursor });
    items.push(...page[key]);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}
