// The REST API of axon-dlq, as the dashboard uses it. The API lives at the base path the dashboard is served under
// ({base-path}/ui/ -> {base-path}), so a custom base path or servlet context path needs no configuration.
export const API = location.pathname.replace(/\/ui(\/.*)?$/, '');

/** An answer of the API that is not a success: the problem+json detail when there is one. */
export class ApiError extends Error {
  constructor(status, problem, fallback) {
    super((problem && (problem.detail || problem.title)) || fallback);
    this.status = status;
    this.problem = problem || null;
  }
}

/**
 * One request. Writes are sent as JSON: the API refuses any write that is neither JSON nor marked with
 * X-Axon-DLQ-Request (its cross-site guard), and the dashboard's are JSON.
 */
export async function api(method, path, body, headers = {}) {
  const write = method !== 'GET' && method !== 'HEAD';
  const init = {
    method,
    credentials: 'same-origin',
    headers: {Accept: 'application/json, application/problem+json', ...headers},
  };
  if (write) {
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
      json = JSON.parse(text);
    } catch (e) {
      json = null;
    }
  }
  if (!response.ok) {
    throw new ApiError(response.status, json, `${method} ${path} answered ${response.status}`);
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
