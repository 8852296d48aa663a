// The REST API of axon-dlq, as the dashboard uses it. The API lives at the base path the dashboard is served under
// ({base-path}/ui/ or {base-path}/ui/index.html -> {base-path}), so a custom base path or servlet context path needs no
// configuration. Only the last segments are the dashboard's: the context path or base path may hold a "ui" of its own.
export const API = location.pathname.replace(/\/ui(\/[^/]*)?$/, '');

/**
 * The absolute URL of an API path: the page's origin, never a URL resolved against the page's own. A page opened as
 * http://user:password@host/... keeps the credentials in its base URL (Chromium hides them from location.href only),
 * and fetch() refuses any URL that holds credentials; location.origin holds none.
 */
export const apiUrl = path => location.origin + API + path;

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
    // Not followed: the API never redirects, a host's login does (see notTheApi).
    redirect: 'manual',
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
    response = await fetch(apiUrl(path), init);
  } catch (e) {
    throw new ApiError(0, null, 'The server cannot be reached (' + e.message + ')');
  }
  if (response.type === 'opaqueredirect') {
    throw notTheApi(method, path, 'a redirect');
  }
  const text = await response.text();
  let json = null;
  let unreadable = false;
  if (text) {
    try {
      json = exactNumbers ? parseKeepingNumbers(text) : JSON.parse(text);
    } catch (e) {
      unreadable = true;
    }
  }
  if (!response.ok) {
    throw refusal(method, path, response.status, json, write, response.headers.get('Retry-After'));
  }
  if (unreadable) {
    // A success that is not JSON is someone else's page (a login page served in place), never the API's answer.
    throw notTheApi(method, path, `${response.status} and a page that is not JSON`);
  }
  return json;
}

/**
 * A host's login answers for the API once the session has ended: Spring Security's form login redirects to its login
 * page. Followed, that page would be taken for the answer (a script error as the only message, a write re-sent to the
 * login URL, a login page saved as an export); the operator is told what happened instead.
 */
function notTheApi(method, path, what) {
  return new ApiError(0, null, `${method} ${path} was answered with ${what}, not by the dead-letter API: typically `
    + 'the login page of the application, after the session ended. Reload the page to sign in again.');
}

/**
 * The ApiError of a non-2xx answer: the problem's detail, else a message naming the request and status; with the
 * answer's Retry-After in seconds when it has one (409 sequence-claimed, 429 export-busy): when to try again, which
 * the detail does not say (a claim's end may lie beyond the lease the API bounds its advice by).
 */
function refusal(method, path, status, problem, write, retryAfter) {
  let fallback = `${method} ${path} answered ${status}`;
  if (write && status === 403 && !(problem && (problem.detail || problem.title))) {
    // Refused before the API (which answers with a problem): typically the host's CSRF protection.
    fallback += ' before reaching the dead-letter API: if the application uses Spring Security\'s CSRF '
      + 'protection, see the axon-dlq README (Security, CSRF)';
  }
  const error = new ApiError(status, problem, fallback);
  if (retryAfter && /^\d+$/.test(retryAfter)) {
    error.message += ` (retry after ${retryAfter} s)`;
  }
  return error;
}

/**
 * Downloads an export. Fetched rather than followed as a link, so that a refusal (429 export-busy, 403, 400) is an
 * ApiError the dashboard can show instead of a failed or problem-filled download; saved under the API's file name.
 * Returns that file name.
 */
export async function download(path, fallbackName) {
  let response;
  try {
    response = await fetch(apiUrl(path), {
      credentials: 'same-origin',
      redirect: 'manual',
      headers: {Accept: 'application/json, application/x-ndjson, application/problem+json'},
    });
  } catch (e) {
    throw new ApiError(0, null, 'The server cannot be reached (' + e.message + ')');
  }
  const type = (response.headers.get('Content-Type') || '').toLowerCase();
  if (response.type === 'opaqueredirect'
    || (response.ok && !type.startsWith('application/json') && !type.startsWith('application/x-ndjson'))) {
    // Someone else's page (a login page after the session ended) is not saved as an export.
    const error = notTheApi('GET', path, response.type === 'opaqueredirect' ? 'a redirect'
      : `${response.status} and a page that is not an export`);
    error.message = 'Export refused: ' + error.message;
    throw error;
  }
  if (!response.ok) {
    let problem = null;
    try {
      problem = JSON.parse(await response.text());
    } catch (e) {
      problem = null;
    }
    const error = refusal('GET', path, response.status, problem, false, response.headers.get('Retry-After'));
    error.message = 'Export refused: ' + error.message;
    throw error;
  }
  let body;
  try {
    body = await response.blob();
  } catch (e) {
    // The API cuts the connection when the store fails once letters have left: nothing partial is saved.
    throw new ApiError(response.status, null, 'The export was cut off before it was complete, nothing was saved ('
      + e.message + ')');
  }
  const name = attachmentName(response.headers.get('Content-Disposition')) || fallbackName;
  const url = URL.createObjectURL(body);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoked a while later, not at once: some browsers read the URL only after click() has returned.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

/** The file name of a Content-Disposition: its UTF-8 filename* (RFC 5987) when there is one, else its filename. */
function attachmentName(disposition) {
  if (!disposition) {
    return null;
  }
  const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
  if (extended) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch (e) {
      // malformed: fall back to the plain name
    }
  }
  const plain = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(disposition) || /filename\s*=\s*([^;]+)/i.exec(disposition);
  // An encoded word (=?UTF-8?Q?...?=, the plain name of a non-ASCII one) is no file name: the caller's is used.
  return plain && !plain[1].startsWith('=?') ? plain[1].replace(/\\(.)/g, '$1').trim() : null;
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
