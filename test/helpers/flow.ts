import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

// Drives the OAuth connect flow the way a browser does: the app's authorize answer, the
// sandbox consent page (HTML form), the redirect back to the app's callback. The app binds a
// flow to the browser that started it with a cookie, so the requests to the app go through a
// Browser that keeps what the app sets; by default one per app, as for one person at one computer.

/** A cookie jar: keeps the app's cookies by name and sends them back, like a browser. */
export class Browser {
  readonly #cookies = new Map<string, string>();

  receive(setCookie: string | string[] | undefined): void {
    for (const line of typeof setCookie === 'string' ? [setCookie] : (setCookie ?? [])) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq > 0) this.#cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }

  /** The Cookie header it would send to the app (no header when it holds nothing). */
  headers(): { cookie?: string } {
    if (this.#cookies.size === 0) return {};
    return { cookie: [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
  }
}

const browsers = new WeakMap<FastifyInstance, Browser>();

/** The browser the helpers use when a test names none. */
export function browserOf(app: FastifyInstance): Browser {
  let browser = browsers.get(app);
  if (!browser) {
    browser = new Browser();
    browsers.set(app, browser);
  }
  return browser;
}

export interface AuthStart {
  authorization_url: string;
  state: string;
  expires_at: string;
}

/** The dashboard's start: a same-origin fetch with the bearer token, answered with JSON. */
export async function startAuthorize(
  app: FastifyInstance,
  auth: { authorization: string },
  loginHint?: string,
  browser: Browser = browserOf(app),
): Promise<AuthStart> {
  const query = loginHint ? `?login_hint=${encodeURIComponent(loginHint)}` : '';
  const res = await app.inject({
    url: `/integrations/fitbit/authorize${query}`,
    headers: { ...auth, ...browser.headers() },
  });
  expect(res.statusCode, res.body).toBe(200);
  browser.receive(res.headers['set-cookie']);
  return res.json() as AuthStart;
}

/** The PHR-App's start: the browser opens authorize?token= and follows the redirect; its target. */
export async function startAuthorizeInBrowser(
  app: FastifyInstance,
  accessToken: string,
  browser: Browser = browserOf(app),
): Promise<string> {
  const res = await app.inject({
    url: `/integrations/fitbit/authorize?token=${encodeURIComponent(accessToken)}`,
    headers: browser.headers(),
  });
  expect(res.statusCode, res.body).toBe(302);
  browser.receive(res.headers['set-cookie']);
  return String(res.headers.location);
}

/** Opens the consent page, fills the form like a person, and returns the redirect back to the app. */
export async function consentWithForm(
  authorizationUrl: string,
  choice: { action: 'allow' | 'deny'; personId?: string; scopes?: (all: string[]) => string[] },
): Promise<string> {
  const page = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(page.status).toBe(200);
  const html = await page.text();
  const form = /<form[^>]*action="([^"]+)"/.exec(html);
  expect(form, 'consent page has a form').not.toBeNull();
  const requestId = /name="request_id" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const people = [...html.matchAll(/name="person" value="([^"]+)"/g)].map((m) => m[1] ?? '');
  const allScopes = [...html.matchAll(/name="scope" value="([^"]+)"/g)].map((m) => decodeHtml(m[1] ?? ''));
  const body = new URLSearchParams({ request_id: decodeHtml(requestId), action: choice.action });
  const person = choice.personId ?? people[0];
  if (person) body.set('person', decodeHtml(person));
  for (const scope of choice.scopes ? choice.scopes(allScopes) : allScopes) body.append('scope', scope);
  const posted = await fetch(new URL(form?.[1] ?? '', authorizationUrl), {
    method: 'POST',
    body,
    redirect: 'manual',
  });
  expect(posted.status).toBe(302);
  return posted.headers.get('location') ?? '';
}

/** With `autoConsent`, the authorize URL redirects straight back. */
export async function consentAutomatically(authorizationUrl: string): Promise<string> {
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return res.headers.get('location') ?? '';
}

/** Hands the vendor's redirect to the app (as the browser would) and returns where the app sends it. */
export async function deliverCallback(
  app: FastifyInstance,
  location: string,
  browser: Browser = browserOf(app),
): Promise<URL> {
  const url = new URL(location);
  const res = await app.inject({ url: `${url.pathname}${url.search}`, headers: browser.headers() });
  expect(res.statusCode, res.body).toBe(302);
  expect(res.headers['cache-control']).toBe('no-store');
  return new URL(String(res.headers.location), 'http://app.invalid');
}

export async function connectFitbit(
  app: FastifyInstance,
  auth: { authorization: string },
  personId: string,
): Promise<URL> {
  const start = await startAuthorize(app, auth, personId);
  const back = await consentWithForm(start.authorization_url, { action: 'allow', personId });
  const result = await deliverCallback(app, back);
  expect(Object.fromEntries(result.searchParams)).toMatchObject({ status: 'connected', vendor: 'fitbit' });
  return result;
}

function decodeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
}

/** Connects any vendor through its sandbox consent form, as a person in a browser would. */
export async function connectVendor(
  app: FastifyInstance,
  auth: { authorization: string },
  vendor: string,
  personId: string,
): Promise<URL> {
  const browser = browserOf(app);
  const res = await app.inject({
    url: `/integrations/${vendor}/authorize`,
    headers: { ...auth, ...browser.headers() },
  });
  expect(res.statusCode, res.body).toBe(200);
  browser.receive(res.headers['set-cookie']);
  const start = res.json() as AuthStart;
  const back = await consentWithForm(start.authorization_url, { action: 'allow', personId });
  const result = await deliverCallback(app, back, browser);
  expect(Object.fromEntries(result.searchParams)).toMatchObject({ status: 'connected', vendor });
  return result;
}
