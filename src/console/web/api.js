// The console's calls to the app's HTTP API: same origin, JSON, the function key (if one is set
// for this browser tab) as x-functions-key. In Azure, App Service Authentication (Easy Auth)
// signs the user in and the app reads the principal; locally, "Your name" is sent where the API
// asks for an identity (docs/console.md).
export const session = {
  get key() {
    return sessionStorage.getItem('aksops.key') ?? '';
  },
  set key(v) {
    if (v) sessionStorage.setItem('aksops.key', v);
    else sessionStorage.removeItem('aksops.key');
  },
  get user() {
    return sessionStorage.getItem('aksops.user') ?? '';
  },
  set user(v) {
    if (v) sessionStorage.setItem('aksops.user', v);
    else sessionStorage.removeItem('aksops.user');
  },
};

export class ApiError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}: ${body?.error ?? JSON.stringify(body).slice(0, 200)}`);
    this.status = status;
    this.body = body;
  }
}

/** `path` starts with /api/. Resolved against the console's own URL, so a routePrefix change still works. */
export async function api(path, { method = 'GET', body } = {}) {
  const base = location.pathname.replace(/\/api\/console\/.*$/, '');
  const headers = { accept: 'application/json' };
  if (session.key) headers['x-functions-key'] = session.key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* text */
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}

/** Adds the local identity field when one is set (Easy Auth's principal wins in the app). */
export const withUser = (field, body = {}) => (session.user ? { ...body, [field]: session.user } : body);
