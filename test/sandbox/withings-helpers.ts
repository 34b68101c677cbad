// Test helpers for the Withings emulator: a sandbox with a clock the test moves, the OAuth dance,
// envelope calls (form POST or GET query), and a callback receiver that records what Withings sends.

import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../src/sandbox/index.ts';
import { type FakeClock, fakeClock } from '../helpers/clock.ts';

export const W_CLIENT = {
  clientId: 'test-withings-client',
  clientSecret: 'test-withings-secret',
  redirectUris: ['http://127.0.0.1:9/withings/callback'],
};
export const W_REDIRECT = 'http://127.0.0.1:9/withings/callback';
export const ALL_W_SCOPES = ['user.info', 'user.metrics', 'user.activity', 'user.sleepevents'];

export type Envelope = { status: number; body: Record<string, unknown>; error?: string };

const SAMPLES = new URL('../fixtures/withings-samples/', import.meta.url);

export function loadWithingsSample(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(name, SAMPLES), 'utf8')) as Record<string, unknown>;
}

export async function startWithingsSandbox(
  options: SandboxOptions = {},
): Promise<{ sandbox: Sandbox; clock: FakeClock }> {
  const clock = fakeClock('2026-11-20T15:00:00Z');
  const sandbox = await startSandbox({
    now: clock.now,
    withingsClients: [W_CLIENT],
    autoConsent: true,
    initialPeople: 0,
    ...options,
  });
  return { sandbox, clock };
}

/** Follows authorize2 (auto-consent as `personId`) and returns the redirect. */
export async function authorize(
  sandbox: Sandbox,
  personId: string | undefined,
  params: Record<string, string> = {},
): Promise<{ status: number; location?: URL; code: string; html: string }> {
  if (personId) sandbox.withings.admin.setConsentPerson(personId);
  const url = new URL(sandbox.env.WITHINGS_OAUTH_AUTHORIZE_URL ?? '');
  const query = {
    response_type: 'code',
    client_id: W_CLIENT.clientId,
    state: 'state-w',
    scope: ALL_W_SCOPES.join(','),
    redirect_uri: W_REDIRECT,
    ...params,
  };
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const response = await fetch(url, { redirect: 'manual' });
  const header = response.headers.get('location');
  const location = header ? new URL(header) : undefined;
  return {
    status: response.status,
    ...(location ? { location } : {}),
    code: location?.searchParams.get('code') ?? '',
    html: await response.text(),
  };
}

/** A Withings call: POST form (default) or GET query, optional Bearer token. */
export async function call(
  sandbox: Sandbox,
  path: string,
  params: Record<string, string>,
  token?: string,
  method: 'GET' | 'POST' = 'POST',
): Promise<Envelope> {
  const result = await rawCall(sandbox, path, params, token, method);
  return JSON.parse(result.text) as Envelope;
}

export async function rawCall(
  sandbox: Sandbox,
  path: string,
  params: Record<string, string>,
  token?: string,
  method: 'GET' | 'POST' = 'POST',
): Promise<{ httpStatus: number; contentType: string; text: string }> {
  const base = `${sandbox.env.WITHINGS_API_URL}${path}`;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const form = new URLSearchParams(params).toString();
  const response =
    method === 'GET'
      ? await fetch(`${base}?${form}`, { headers })
      : await fetch(base, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          body: form,
        });
  return {
    httpStatus: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text: await response.text(),
  };
}

export function exchangeCode(sandbox: Sandbox, code: string, extra: Record<string, string> = {}) {
  return call(sandbox, '/v2/oauth2', {
    action: 'requesttoken',
    grant_type: 'authorization_code',
    client_id: W_CLIENT.clientId,
    client_secret: W_CLIENT.clientSecret,
    code,
    redirect_uri: W_REDIRECT,
    ...extra,
  });
}

export function refresh(sandbox: Sandbox, refreshToken: string) {
  return call(sandbox, '/v2/oauth2', {
    action: 'requesttoken',
    grant_type: 'refresh_token',
    client_id: W_CLIENT.clientId,
    client_secret: W_CLIENT.clientSecret,
    refresh_token: refreshToken,
  });
}

/** Consent as the person and exchange the code: the person's tokens. */
export async function connectWithings(
  sandbox: Sandbox,
  personId: string,
  scopes: string[] = ALL_W_SCOPES,
  redirectUri = W_REDIRECT,
): Promise<{ accessToken: string; refreshToken: string; userid: number }> {
  const { code } = await authorize(sandbox, personId, { scope: scopes.join(','), redirect_uri: redirectUri });
  const { body } = await exchangeCode(sandbox, code, { redirect_uri: redirectUri });
  return {
    accessToken: String(body.access_token),
    refreshToken: String(body.refresh_token),
    userid: Number(body.userid),
  };
}

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A callback endpoint: records every request; `headStatus` and `postStatuses` script its answers. */
export class Receiver {
  readonly received: Received[] = [];
  headStatus = 200;
  /** Statuses for the next POSTs, in order; then 200. 0 = never answer (a timeout). */
  postStatuses: number[] = [];
  url = '';
  #server: Server | undefined;

  async start(): Promise<this> {
    this.#server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        this.received.push({
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body,
        });
        const status = request.method === 'HEAD' ? this.headStatus : (this.postStatuses.shift() ?? 200);
        if (status === 0) return;
        response.statusCode = status;
        response.end();
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  posts(): Received[] {
    return this.received.filter((r) => r.method === 'POST');
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((resolve) => this.#server?.close(resolve));
  }
}
