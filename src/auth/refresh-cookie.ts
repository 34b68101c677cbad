// The dashboard's refresh token, kept in a cookie the page's scripts cannot read.
//
// Only a request that asks for it (the SESSION_HEADER on sign-in or sign-up) gets the cookie, and
// then its answer carries no refresh_token in the body; apps that send no such header get the
// JSON token pair exactly as before. The cookie goes only to /auth/session/* (its Path), where
// every request must carry SESSION_HEADER too: a cross-site form cannot set a custom header, and a
// cross-site fetch that tries is stopped by CORS (no credentials allowed), so the header is the
// CSRF defence; SameSite=Strict is the second one.

export const REFRESH_COOKIE = 'phr_refresh';
/** Sent by the dashboard: on sign-in/sign-up it asks for the cookie, on /auth/session/* it is required. */
export const SESSION_HEADER = 'x-phr-session';
export const SESSION_HEADER_VALUE = 'cookie';
/** What createRefreshToken makes: 32 random bytes in base64url. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface RefreshCookieOptions {
  path: string;
  secure: boolean;
  maxAgeSeconds: number;
}

/** Path /auth/session under the public base URL's own path (an app behind a path prefix). */
export function refreshCookieOptions(publicBaseUrl: string, refreshTtlSeconds: number): RefreshCookieOptions {
  const url = new URL(publicBaseUrl);
  return {
    path: `${url.pathname.replace(/\/+$/, '')}/auth/session`,
    secure: url.protocol === 'https:',
    maxAgeSeconds: refreshTtlSeconds,
  };
}

export function wantsSessionCookie(headers: Record<string, string | string[] | undefined>): boolean {
  return headers[SESSION_HEADER] === SESSION_HEADER_VALUE;
}

/** The refresh token in a Cookie header, if well formed (the first one when several paths match). */
export function readRefreshCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== REFRESH_COOKIE) continue;
    const value = pair.slice(eq + 1).trim();
    if (TOKEN.test(value)) return value;
  }
  return undefined;
}

/** Whether the Cookie header names the refresh cookie at all (well formed or not). */
export function hasRefreshCookie(header: string | undefined): boolean {
  return header?.split(';').some((pair) => pair.split('=')[0]?.trim() === REFRESH_COOKIE) ?? false;
}

export function refreshSetCookie(token: string, options: RefreshCookieOptions): string {
  return attributes(`${REFRESH_COOKIE}=${token}`, options, options.maxAgeSeconds);
}

export function refreshClearCookie(options: RefreshCookieOptions): string {
  return attributes(`${REFRESH_COOKIE}=`, options, 0);
}

function attributes(pair: string, options: RefreshCookieOptions, maxAge: number): string {
  const parts = [pair, `Path=${options.path}`, `Max-Age=${maxAge}`, 'HttpOnly', 'SameSite=Strict'];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}
