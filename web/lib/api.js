// The API client: one session held in memory, bearer header on every call, one shared refresh.
//
// NOTE: the access token lives in this module's variables only. The refresh token is an HttpOnly,
// SameSite=Strict cookie scoped to /auth/session (the server sets it because sign-in sends
// `x-phr-session: cookie`): page scripts never see it, and a reload, a new tab or a bookmark
// renews the sign-in from it. The cookie routes require that same header, which a cross-site page
// cannot send (CSRF). See docs/dashboard.md.

export class ApiError extends Error {
  /** @param {Problem} problem */
  constructor(problem) {
    const fields = (problem.errors ?? []).map((e) => `${e.field}: ${e.message}`).join('; ');
    super(fields || problem.detail || problem.title || `HTTP ${problem.status}`);
    this.name = 'ApiError';
    this.status = problem.status;
    this.code = problem.code ?? 'HTTP_ERROR';
    this.problem = problem;
  }
}

const SESSION_HEADERS = { 'x-phr-session': 'cookie' };
const session = {
  /** @type {string | null} */ accessToken: null,
  expiresAt: 0,
};
/** Tells this dashboard's other tabs that the person signed out. */
const tabs = typeof BroadcastChannel === 'function' ? new BroadcastChannel('phr-session') : null;
/** @type {Set<(signedIn: boolean, reason?: string) => void>} */
const listeners = new Set();
/** @type {Promise<boolean> | null} */
let refreshing = null;

export const isSignedIn = () => session.accessToken !== null;

/** @param {(signedIn: boolean, reason?: string) => void} fn */
export function onSessionChange(fn) {
  listeners.add(fn);
}

/** @param {TokenPair} pair */
function setTokens(pair) {
  const wasSignedIn = isSignedIn();
  session.accessToken = pair.access_token;
  session.expiresAt = Date.now() + pair.expires_in * 1000;
  if (!wasSignedIn) for (const fn of listeners) fn(true);
}

/** @param {string} [reason] */
export function clearSession(reason) {
  const wasSignedIn = isSignedIn();
  session.accessToken = null;
  session.expiresAt = 0;
  if (wasSignedIn) for (const fn of listeners) fn(false, reason);
}

/** @typedef {{ method?: string, body?: unknown, auth?: boolean, accept?: string, cookies?: boolean, headers?: Record<string, string>, signal?: AbortSignal }} SendOptions */

/**
 * @param {string} path
 * @param {SendOptions} options
 */
function send(
  path,
  { method = 'GET', body, auth = true, accept = 'application/json', cookies = false, ...more },
) {
  /** @type {Record<string, string>} */
  const headers = { ...more.headers, accept: `${accept}, application/problem+json` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (auth && session.accessToken) headers.authorization = `Bearer ${session.accessToken}`;
  return fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: cookies ? 'same-origin' : 'omit',
    cache: 'no-store',
    signal: more.signal,
  });
}

/** @param {Response} res */
async function toError(res) {
  let problem = { status: res.status, title: res.statusText };
  try {
    problem = { ...problem, ...(await res.json()) };
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(problem);
}

/**
 * Trades the sign-in cookie for a new access token (the cookie rotates). Reusing a spent refresh
 * token revokes the whole session, so concurrent callers share one request.
 * @returns {Promise<boolean>}
 */
function refresh() {
  refreshing ??= (async () => {
    try {
      const res = await send('/auth/session/refresh', {
        method: 'POST',
        auth: false,
        cookies: true,
        headers: SESSION_HEADERS,
      });
      if (!res.ok || res.status === 204) return false;
      setTokens(await res.json());
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** On load: a cookie from an earlier visit signs this tab in without a password. */
export function resumeSession() {
  return refresh();
}

/**
 * An authenticated request; refreshes once on expiry, signs out when that fails.
 * @param {string} path
 * @param {SendOptions} [options]
 * @returns {Promise<Response>}
 */
export async function request(path, options = {}) {
  const auth = options.auth !== false;
  if (auth && session.accessToken && Date.now() > session.expiresAt - 30_000) await refresh();
  let res = await send(path, options);
  if (auth && res.status === 401 && session.accessToken && (await refresh())) res = await send(path, options);
  if (auth && res.status === 401) clearSession('Your session ended. Please sign in again.');
  if (!res.ok) throw await toError(res);
  return res;
}

/** @param {string} path @param {AbortSignal} [signal] */
export async function getJson(path, signal) {
  return (await request(path, signal ? { signal } : {})).json();
}

/**
 * Starts a vendor's OAuth flow. The backend binds the flow to this browser with an HttpOnly cookie
 * scoped to /integrations, which the vendor's redirect back to the callback (a navigation)
 * carries; without it the callback refuses to link. The session header asks it to bring the
 * browser back to this dashboard afterwards.
 * @param {string} path
 */
export async function startOAuth(path) {
  return (await request(path, { cookies: true, headers: SESSION_HEADERS })).json();
}

/** @param {string} method @param {string} path @param {unknown} [body] */
export async function sendJson(method, path, body) {
  const res = await request(path, { method, body });
  return res.status === 204 ? null : res.json();
}

/** @param {string} email @param {string} password @param {string} [name] */
export async function signUp(email, password, name) {
  const body = name ? { email, password, name } : { email, password };
  const pair = await (
    await request('/auth/register', {
      method: 'POST',
      body,
      auth: false,
      cookies: true,
      headers: SESSION_HEADERS,
    })
  ).json();
  setTokens(pair);
  return pair.user;
}

/** @param {string} email @param {string} password */
export async function signIn(email, password) {
  const pair = await (
    await request('/auth/login', {
      method: 'POST',
      body: { email, password },
      auth: false,
      cookies: true,
      headers: SESSION_HEADERS,
    })
  ).json();
  setTokens(pair);
  return pair.user;
}

export async function signOut() {
  try {
    await request('/auth/session/logout', {
      method: 'POST',
      auth: false,
      cookies: true,
      headers: SESSION_HEADERS,
    });
  } finally {
    tabs?.postMessage('signed-out');
    clearSession('Signed out.');
  }
}

tabs?.addEventListener('message', (event) => {
  if (event.data === 'signed-out') clearSession('Signed out in another tab.');
});

export async function deleteAccount() {
  await request('/auth/me', { method: 'DELETE' });
  await request('/auth/session/logout', {
    method: 'POST',
    auth: false,
    cookies: true,
    headers: SESSION_HEADERS,
  }).catch(() => undefined);
  tabs?.postMessage('signed-out');
  clearSession('Your account and all its data were deleted.');
}

/**
 * Uploads a file as the raw request body in its own media type (an Apple Health export), with the
 * same bearer token and one refresh as `request`.
 * @param {string} path
 * @param {File} file
 */
export async function uploadFile(path, file) {
  if (session.accessToken && Date.now() > session.expiresAt - 30_000) await refresh();
  const post = () =>
    fetch(path, {
      method: 'POST',
      headers: {
        accept: 'application/json, application/problem+json',
        'content-type': file.type || 'application/octet-stream',
        ...(session.accessToken ? { authorization: `Bearer ${session.accessToken}` } : {}),
      },
      body: file,
      credentials: 'omit',
      cache: 'no-store',
    });
  let res = await post();
  if (res.status === 401 && session.accessToken && (await refresh())) res = await post();
  if (res.status === 401) clearSession('Your session ended. Please sign in again.');
  if (!res.ok) throw await toError(res);
  return res.json();
}
