import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

// Drives the OAuth connect flow the way a browser does: the app's authorize answer, the
// sandbox consent page (HTML form), the redirect back to the app's callback.

export interface AuthStart {
  authorization_url: string;
  state: string;
  expires_at: string;
}

export async function startAuthorize(
  app: FastifyInstance,
  auth: { authorization: string },
  loginHint?: string,
): Promise<AuthStart> {
  const query = loginHint ? `?login_hint=${encodeURIComponent(loginHint)}` : '';
  const res = await app.inject({ url: `/integrations/fitbit/authorize${query}`, headers: auth });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as AuthStart;
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
export async function deliverCallback(app: FastifyInstance, location: string): Promise<URL> {
  const url = new URL(location);
  const res = await app.inject({ url: `${url.pathname}${url.search}` });
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
