// The API client: one session held in memory, bearer header on every call, one shared refresh.
//
// NOTE: tokens live in this module's variables only: no localStorage, no cookie. A script
// injected into the page cannot find them in storage afterwards, and with no cookie the browser
// never attaches credentials on its own, so there is nothing to forge cross-site (no CSRF).
// The exceptions are the OAuth round-trip (handOffForRedirect, startOAuth): see docs/dashboard.md.

/** @typedef {{ type?: string, title?: string, status: number, detail?: string, code?: string, errors?: {field: string, message: string}[] }} Problem */
/** @typedef {{ access_token: string, refresh_token: string, expires_in: number, user?: { id: number, email: string, name: string } }} TokenPair */

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

const session = {
  /** @type {string | null} */ accessToken: null,
  /** @type {string | null} */ refreshToken: null,
  expiresAt: 0,
};
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
  session.refreshToken = pair.refresh_token;
  session.expiresAt = Date.now() + pair.expires_in * 1000;
  if (!wasSignedIn) for (const fn of listeners) fn(true);
}

/** @param {string} [reason] */
export function clearSession(reason) {
  const wasSignedIn = isSignedIn();
  session.accessToken = null;
  session.refreshToken = null;
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
 * Exchanges the refresh token for a new pair. Refresh tokens rotate and reusing a spent one
 * revokes the whole family, so concurrent callers share one request.
 * @returns {Promise<boolean>}
 */
function refresh() {
  if (!session.refreshToken) return Promise.resolve(false);
  refreshing ??= (async () => {
    try {
      const res = await send('/auth/refresh', {
        method: 'POST',
        body: { refresh_token: session.refreshToken },
        auth: false,
      });
      if (!res.ok) return false;
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

/**
 * An authenticated request; refreshes once on expiry, signs out when that fails.
 * @param {string} path
 * @param {SendOptions} [options]
 * @returns {Promise<Response>}
 */
export async function request(path, options = {}) {
  const auth = options.auth !== false;
  if (auth && session.refreshToken && Date.now() > session.expiresAt - 30_000) await refresh();
  let res = await send(path, options);
  if (auth && res.status === 401 && (await refresh())) res = await send(path, options);
  if (auth && res.status === 401) clearSession('Your session ended. Please sign in again.');
  if (!res.ok) throw await toError(res);
  return res;
}

/** @param {string} path */
export async function getJson(path) {
  return (await request(path)).json();
}

/**
 * Starts a vendor's OAuth flow: the one call that accepts a cookie. The backend binds the flow to
 * this browser with an HttpOnly cookie scoped to /integrations, which the vendor's redirect back
 * to the callback (a navigation) carries; without it the callback refuses to link.
 * @param {string} path
 */
export async function startOAuth(path) {
  return (await request(path, { cookies: true })).json();
}

/** @param {string} method @param {string} path @param {unknown} [body] */
export async function sendJson(method, path, body) {
  const res = await request(path, { method, body });
  return res.status === 204 ? null : res.json();
}

/** @param {string} email @param {string} password @param {string} [name] */
export async function signUp(email, password, name) {
  const body = name ? { email, password, name } : { email, password };
  const pair = await (await request('/auth/register', { method: 'POST', body, auth: false })).json();
  setTokens(pair);
  return pair.user;
}

/** @param {string} email @param {string} password */
export async function signIn(email, password) {
  const pair = await (
    await request('/auth/login', { method: 'POST', body: { email, password }, auth: false })
  ).json();
  setTokens(pair);
  return pair.user;
}

export async function signOut() {
  try {
    if (session.refreshToken) await sendJson('POST', '/auth/logout', { refresh_token: session.refreshToken });
  } finally {
    clearSession('Signed out.');
  }
}

export async function deleteAccount() {
  await request('/auth/me', { method: 'DELETE' });
  clearSession('Your account and all its data were deleted.');
}

// --- The OAuth round-trip -------------------------------------------------------------------
// Connecting a vendor leaves this page for the vendor's consent screen and comes back through
// the backend's callback, which would lose an in-memory session. Just before leaving, the
// refresh token is parked in this tab's sessionStorage; on return it is taken out at once and
// spent (rotated), so the parked copy is worthless afterwards. Nothing else is ever stored.

const HANDOFF_KEY = 'phr.oauth-handoff';
const HANDOFF_MAX_AGE_MS = 15 * 60 * 1000;

export function handOffForRedirect() {
  if (!session.refreshToken) return;
  sessionStorage.setItem(
    HANDOFF_KEY,
    JSON.stringify({ refresh_token: session.refreshToken, at: Date.now() }),
  );
}

/** @returns {Promise<boolean>} true when the session was restored */
export async function resumeAfterRedirect() {
  const raw = sessionStorage.getItem(HANDOFF_KEY);
  sessionStorage.removeItem(HANDOFF_KEY);
  if (!raw) return false;
  try {
    const parked = JSON.parse(raw);
    if (typeof parked.refresh_token !== 'string' || Date.now() - parked.at > HANDOFF_MAX_AGE_MS) return false;
    session.refreshToken = parked.refresh_token;
    return await refresh();
  } catch {
    return false;
  }
}

/** The page came back from the bfcache (user pressed Back on the consent page): session intact. */
export function discardHandOff() {
  sessionStorage.removeItem(HANDOFF_KEY);
}

/**
 * Uploads a file as the raw request body in its own media type (an Apple Health export), with the
 * same bearer token and one refresh as `request`.
 * @param {string} path
 * @param {File} file
 */
export async function uploadFile(path, file) {
  if (session.refreshToken && Date.now() > session.expiresAt - 30_000) await refresh();
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
  if (res.status === 401 && (await refresh())) res = await post();
  if (res.status === 401) clearSession('Your session ended. Please sign in again.');
  if (!res.ok) throw await toError(res);
  return res.json();
}
