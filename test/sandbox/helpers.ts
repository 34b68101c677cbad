// Test helpers: a sandbox on a random loopback port with a clock the test moves.

import { createHash, randomBytes } from 'node:crypto';
import { type Sandbox, type SandboxOptions, SCOPE_PREFIX, startSandbox } from '../../src/sandbox/index.ts';
import { type FakeClock, fakeClock } from '../helpers/clock.ts';

export const SCOPES = {
  activity: `${SCOPE_PREFIX}activity_and_fitness.readonly`,
  health: `${SCOPE_PREFIX}health_metrics_and_measurements.readonly`,
  sleep: `${SCOPE_PREFIX}sleep.readonly`,
  profile: `${SCOPE_PREFIX}profile.readonly`,
  settings: `${SCOPE_PREFIX}settings.readonly`,
};
export const ALL_SCOPES = Object.values(SCOPES);

export const CLIENT = {
  clientId: 'test-client.apps.googleusercontent.com',
  clientSecret: 'test-secret',
  redirectUris: ['http://127.0.0.1:9/callback'],
};
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

export async function startTestSandbox(
  options: SandboxOptions = {},
): Promise<{ sandbox: Sandbox; clock: FakeClock }> {
  const clock = fakeClock('2026-11-20T15:00:00Z');
  const sandbox = await startSandbox({ now: clock.now, clients: [CLIENT], autoConsent: true, ...options });
  return { sandbox, clock };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Follows the authorize redirect (auto-consent) and returns the code from the callback URL. */
export async function authorizeCode(
  sandbox: Sandbox,
  params: Record<string, string> = {},
): Promise<{ code: string; location: URL }> {
  const url = new URL(`${sandbox.url}/o/oauth2/v2/auth`);
  const query = {
    client_id: CLIENT.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: ALL_SCOPES.join(' '),
    access_type: 'offline',
    state: 'state-1',
    ...params,
  };
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const response = await fetch(url, { redirect: 'manual' });
  const location = new URL(response.headers.get('location') ?? 'http://invalid/');
  return { code: location.searchParams.get('code') ?? '', location };
}

export async function postForm(
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export async function exchangeCode(
  sandbox: Sandbox,
  code: string,
  extra: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return postForm(`${sandbox.url}/token`, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    client_id: CLIENT.clientId,
    client_secret: CLIENT.clientSecret,
    ...extra,
  });
}

/** Consent (as login_hint person) and exchange: an access token for that person. */
export async function connect(
  sandbox: Sandbox,
  personId: string,
  scopes: string[] = ALL_SCOPES,
): Promise<{ accessToken: string; refreshToken: string }> {
  const { code } = await authorizeCode(sandbox, { login_hint: personId, scope: scopes.join(' ') });
  const { body } = await exchangeCode(sandbox, code);
  return { accessToken: String(body.access_token), refreshToken: String(body.refresh_token) };
}

export async function api(
  sandbox: Sandbox,
  token: string | undefined,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${sandbox.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { html: text };
  }
  return { status: response.status, body, headers: response.headers };
}

export function listPath(type: string, query: Record<string, string> = {}): string {
  const params = new URLSearchParams(query).toString();
  return `/v4/users/me/dataTypes/${type}/dataPoints${params ? `?${params}` : ''}`;
}
