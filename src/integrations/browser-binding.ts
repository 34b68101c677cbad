// The cookie that binds an OAuth flow to the browser that started it (RFC 9700 §4.7.1): the
// authorize route sets it, the callback reads it back; the flow service stores and compares hashes.
// One cookie whose value we mint ourselves, so a small reader instead of a cookie plugin: nothing
// parses the Cookie header of the other routes, and there is no quoting or decoding to get right.

const BINDING_COOKIE = 'phr_oauth_binding';
/** 32 random bytes in base64url, as oauth4webapi's generateRandomState makes them. */
const BINDING_VALUE = /^[A-Za-z0-9_-]{43}$/;
/** A browser sends one; a few more (same name, other paths) are tolerated, not a whole header's worth. */
const MAX_VALUES = 4;

const isBindingValue = (value: string): boolean => BINDING_VALUE.test(value);

/** The well-formed binding values in a Cookie header, in the order the browser sent them. */
export function readBindingCookies(header: string | undefined): string[] {
  if (!header) return [];
  const values: string[] = [];
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== BINDING_COOKIE) continue;
    const value = pair.slice(eq + 1).trim();
    if (isBindingValue(value)) values.push(value);
    if (values.length === MAX_VALUES) break;
  }
  return values;
}

/**
 * Covers /integrations/<vendor>/authorize and /integrations/<vendor>/callback (under the public
 * base URL's path when the app sits behind a path prefix) and nothing outside /integrations.
 */
export function bindingCookiePath(publicBaseUrl: string): string {
  return `${new URL(publicBaseUrl).pathname.replace(/\/+$/, '')}/integrations`;
}

/**
 * HttpOnly: page scripts never see it. SameSite=Lax: sent on the vendor's top-level redirect back
 * to the callback, not on cross-site subrequests. Secure whenever the public URL is https.
 */
export function bindingSetCookie(
  value: string,
  options: { path: string; secure: boolean; maxAgeSeconds: number },
): string {
  const attributes = [
    `${BINDING_COOKIE}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${options.maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Lax',
  ];
  if (options.secure) attributes.push('Secure');
  return attributes.join('; ');
}

// The dashboard asks for its own return: with OAUTH_SUCCESS_REDIRECT unset, a flow it started
// (authorize sent with `x-phr-session: cookie`) comes back to /app/ instead of the result page
// meant for the PHR-App. A fixed target, so the cookie cannot steer the redirect anywhere else.
const RETURN_COOKIE = 'phr_oauth_return';
export const DASHBOARD_RETURN_PATH = '/app/';

export function returnSetCookie(options: { path: string; secure: boolean; maxAgeSeconds: number }): string {
  const attributes = [
    `${RETURN_COOKIE}=app`,
    `Path=${options.path}`,
    `Max-Age=${options.maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Lax',
  ];
  if (options.secure) attributes.push('Secure');
  return attributes.join('; ');
}

export function returnClearCookie(options: { path: string; secure: boolean }): string {
  return returnSetCookie({ ...options, maxAgeSeconds: 0 });
}

/** Whether the browser that comes back started the flow in the dashboard. */
export function returnsToDashboard(header: string | undefined): boolean {
  return header?.split(';').some((pair) => pair.trim() === `${RETURN_COOKIE}=app`) ?? false;
}
