// The REST client. The app token lives in this tab's sessionStorage only: never in a URL, a
// cookie or the browser's persistent storage. A 401 from any call ends the session and sends the user to sign in.

const KEY = 'imserver-console-session';

export class ApiError extends Error {
  constructor(status, code, description) {
    super(description || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
  }
}

export function session() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    return s && s.token && s.org && s.app ? s : null;
  } catch {
    return null;
  }
}

export function signOut(reason) {
  sessionStorage.removeItem(KEY);
  window.dispatchEvent(new CustomEvent('console:signed-out', { detail: reason || '' }));
}

const seg = (s) => encodeURIComponent(s);

async function errorOf(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  const code = body && typeof body.error === 'string' ? body.error : '';
  const text = body && typeof body.error_description === 'string' ? body.error_description : '';
  return new ApiError(res.status, code, text || code || `${res.status} ${res.statusText}`);
}

/** Exchanges the app's client id and secret for an app token, kept for this tab. */
export async function signIn(org, app, clientId, clientSecret) {
  const res = await fetch(`/${seg(org)}/${seg(app)}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (!res.ok) throw await errorOf(res);
  const body = await res.json();
  const expires = Date.now() + Number(body.expires_in || 0) * 1000;
  sessionStorage.setItem(KEY, JSON.stringify({ org, app, token: body.access_token, expires }));
  return session();
}

function url(path, query) {
  const s = session();
  let u = `/${seg(s.org)}/${seg(s.app)}${path}`;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const text = q.toString();
    if (text) u += `?${text}`;
  }
  return u;
}

/**
 * One call under `/{org}/{app}`. `body` is sent as JSON, `form` as multipart. Resolves to the
 * parsed JSON (or the Response with `raw`); rejects with an ApiError carrying the API's own text.
 */
export async function call(method, path, opts = {}) {
  const s = session();
  if (!s) {
    signOut('Please sign in.');
    throw new ApiError(401, 'unauthorized', 'Please sign in.');
  }
  const headers = { Authorization: `Bearer ${s.token}` };
  let body;
  if (opts.form) {
    body = opts.form;
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res;
  try {
    res = await fetch(url(path, opts.query), { method, headers, body, credentials: 'omit', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'network', `The server could not be reached (${e.message}).`);
  }
  if (res.status === 401) {
    const err = await errorOf(res);
    signOut(`Your session ended: ${err.message}`);
    throw err;
  }
  if (!res.ok) throw await errorOf(res);
  if (opts.raw) return res;
  const text = await res.text();
  return text ? JSON.parse(text) : {};
}

export const get = (path, query) => call('GET', path, { query });
export const post = (path, body, query) => call('POST', path, { body: body ?? {}, query });
export const put = (path, body, query) => call('PUT', path, { body: body ?? {}, query });
export const del = (path, query, body) => call('DELETE', path, { query, body });

/** Path segment escaping for ids and usernames. */
export const p = seg;

/** Unauthenticated operational endpoints (same origin). */
export async function plain(path) {
  const res = await fetch(path, { credentials: 'omit', cache: 'no-store' });
  if (!res.ok && res.status !== 503) throw await errorOf(res);
  return res;
}
