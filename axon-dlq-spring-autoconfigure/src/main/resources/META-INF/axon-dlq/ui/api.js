// The REST API of axon-dlq, as the dashboard uses it. The API lives at the base path the dashboard is served under
// ({base-path}/ui/ or {base-path}/ui/index.html -> {base-path}), so a custom base path or servlet context path needs no
// configuration. Only the last segments are the dashboard's: the context path or base path may hold a "ui" of its own.
export const API = location.pathname.replace(/\/ui(\/[^/]*)?$/, '');

/** The URL of an API path, for links (exports) rather than fetches. */
export const apiUrl = path => API + path;

/** An answer of the API that is not a success: the problem+json detail when there is one. */
export class ApiError extends Error {
  constructor(status, problem, fallback) {
    super((problem && (problem.detail || problem.title)) || fallback);
    this.status = status;
    this.problem = problem || null;
  }
}

/**
 * The token of Spring Security's cookie CSRF protection ({@code CookieCsrfTokenRepository}, cookie XSRF-TOKEN), when
 * the host uses it: sent back with every write as X-XSRF-TOKEN, the header that repository expects. Read at each write:
 * a login replaces the token.
 */
function csrfHeaders() {
  const cookie = document.cookie.split(';').map(c => c.trim()).find(c => c.startsWith('XSRF-TOKEN='));
  return cookie ? {'X-XSRF-TOKEN': decodeURIComponent(cookie.slice('XSRF-TOKEN='.length))} : {};
}

/**
 * JSON.parse that keeps a number's text where a JavaScript number would change it (integers beyond 2^53, decimals with
 * more digits than a double holds): for payloads and metadata, which are shown, never computed with. Browsers without
 * JSON.rawJSON parse as usual.
 */
function parseKeepingNumbers(text) {
  if (typeof JSON.rawJSON !== 'function') {
    return JSON.parse(text);
  }
  return JSON.parse(text, (key, value, context) =>
    (typeof value === 'number' && context && typeof context.source === 'string' && String(value) !== context.source
      ? JSON.rawJSON(context.source) : value));
}

/**
 * One request. Writes are sent as JSON: the API refuses any write that is neither JSON nor marked with
 * X-Axon-DLQ-Request (its cross-site guard), and the dashboard's are JSON. With {@code exactNumbers}, numbers that a
 * JavaScript number cannot hold keep their text (see parseKeepingNumbers).
 */
export async function api(method, path, body, headers = {}, {exactNumbers = false} = {}) {
  const write = method !== 'GET' && method !== 'HEAD';
  const init = {
    method,
    credentials: 'same-origin',
    headers: {Accept: 'application/json, application/problem+json', ...headers},
  };
  if (write) {
    Object.assign(init.headers, csrfHeaders());
    init.headers['Content-Type'] = 'application/json';
    if (body !== undefined) {
      init.body = JSON.stringify(body);
    }
  }
  let response;
  try {
    response = await fetch(API + path, init);
  } catch (e) {
    throw new ApiError(0, null, 'The server cannot be reached (' + e.message + ')');
  }
  const text = await response.text();
  let json = null;
  if (text) {
    try {
      json = exactNumbers ? parseKeepingNumbers(text) : JSON.parse(text);
    } catch (e) {
      json = null;
    }
  }
  if (!response.ok) {
    let fallback = `${method} ${path} answered ${response.status}`;
    if (write && response.status === 403 && !(json && (json.detail || json.title))) {
      // Refused before the API (which answers with a problem): typically the host's CSRF protection.
      fallback += ' before reaching the dead-letter API: if the application uses Spring Security\'s CSRF '
        + 'protection, see the axon-dlq README (Security, CSRF)';
    }
    throw new ApiError(response.status, json, fallback);
  }
  return json;
}

/** A path segment: group names and sequence keys may hold anything. */
export const seg = value => encodeURIComponent(value);

/** A query string from the non-empty members of an object. */
export function query(params) {
  const q = new URLSearchParams();
  Object.entries(params).forEach(([k, v]) => {
    if (v !== undefined && v !== null && v !== '') {
      q.set(k, v);
    }
  });
  const s = q.toString();
  return s ? '?' + s : '';
}

/** An Idempotency-Key for a retry job start (randomUUID needs a secure context, which plain http is not). */
export function idempotencyKey() {
  if (crypto.randomUUID) {
    try {
      return crypto.randomUUID();
    } catch (e) {
      // not a secure context: fall through
    }
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}
