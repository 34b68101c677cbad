import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOutboundHttp,
  isLoopbackUrl,
  type OutboundOptions,
  parseRetryAfter,
  VendorHttpError,
  VendorNetworkError,
  VendorRateLimitError,
} from '../../src/http/outbound.ts';

// The wrapper against a real loopback server that answers from a script; sleeps are recorded, not slept.
let server: Server;
let base: string;
let script: { status: number; headers?: Record<string, string>; body?: string; hang?: boolean }[] = [];
let hits = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    hits += 1;
    const step = script.shift() ?? { status: 200, body: '{"ok":true}' };
    if (step.hang) return; // never answers
    res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
    res.end(step.body ?? '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function client(extra: Partial<OutboundOptions> = {}) {
  const sleeps: number[] = [];
  const http = createOutboundHttp({
    fetch: globalThis.fetch,
    random: () => 1,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...extra,
  });
  return { http, sleeps };
}

function reset(steps: typeof script) {
  script = steps;
  hits = 0;
}

describe('outbound HTTP wrapper', () => {
  it('retries 5xx, 408 and 429 with capped exponential backoff, then succeeds', async () => {
    reset([{ status: 503 }, { status: 408 }, { status: 429 }, { status: 200, body: '{"n":1}' }]);
    const { http, sleeps } = client({ baseDelayMs: 100, maxDelayMs: 300 });
    expect(await http.json<{ n: number }>({ vendor: 'v', url: base })).toEqual({ n: 1 });
    expect(hits).toBe(4);
    expect(sleeps).toEqual([100, 200, 300]);
  });

  it('jitter stays within half to full backoff', async () => {
    reset([{ status: 500 }, { status: 200 }]);
    const { http, sleeps } = client({ baseDelayMs: 1000, random: () => 0 });
    await http.request({ vendor: 'v', url: base });
    expect(sleeps).toEqual([500]);
  });

  it('does not retry other 4xx and throws a typed error with the vendor body', async () => {
    reset([{ status: 403, body: '{"error":{"code":403,"status":"PERMISSION_DENIED"}}' }]);
    const { http, sleeps } = client();
    const err = await http.request({ vendor: 'fitbit', url: base }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorHttpError);
    expect(err).toMatchObject({
      code: 'VENDOR_ERROR',
      vendor: 'fitbit',
      vendorStatus: 403,
      retryable: false,
      vendorBody: { error: { status: 'PERMISSION_DENIED' } },
    });
    expect(hits).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('honours a short Retry-After and turns a long one into a rate-limit error without sleeping', async () => {
    reset([{ status: 429, headers: { 'retry-after': '2' } }, { status: 200 }]);
    const short = client({ maxWaitMs: 5000 });
    await short.http.request({ vendor: 'v', url: base });
    expect(short.sleeps).toEqual([2000]);

    reset([{ status: 429, headers: { 'retry-after': '120' } }]);
    const long = client({ maxWaitMs: 5000 });
    const err = await long.http.request({ vendor: 'v', url: base }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorRateLimitError);
    expect(err).toMatchObject({ code: 'VENDOR_RATE_LIMITED', retryAfter: 120, retryable: true });
    expect(long.sleeps).toEqual([]);
    expect(hits).toBe(1);
  });

  it('gives up after maxRetries: 429 becomes a rate-limit error, 5xx a retryable vendor error', async () => {
    reset([{ status: 429 }, { status: 429 }]);
    const a = client({ maxRetries: 1 });
    const limited = await a.http.request({ vendor: 'v', url: base }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(VendorRateLimitError);
    reset([{ status: 502 }]);
    const b = client();
    const down = await b.http.request({ vendor: 'v', url: base, retries: 0 }).catch((e: unknown) => e);
    expect(down).toMatchObject({ code: 'VENDOR_UNAVAILABLE', vendorStatus: 502, retryable: true });
    expect(b.sleeps).toEqual([]);
  });

  it('times out a hanging request with a typed network error, and retries it', async () => {
    reset([
      { status: 0, hang: true },
      { status: 0, hang: true },
    ]);
    const { http, sleeps } = client({ timeoutMs: 100, maxRetries: 1 });
    const err = await http.request({ vendor: 'v', url: base }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorNetworkError);
    expect(err).toMatchObject({ code: 'VENDOR_UNAVAILABLE', timedOut: true, retryable: true });
    expect(hits).toBe(2);
    expect(sleeps).toHaveLength(1);
  });

  it('a refused connection is a network error; fetch is injectable', async () => {
    const refused = createOutboundHttp({ fetch: globalThis.fetch, maxRetries: 0 });
    const err = await refused.request({ vendor: 'v', url: 'http://127.0.0.1:1/' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VENDOR_UNAVAILABLE', timedOut: false });
    const calls: string[] = [];
    const injected = createOutboundHttp({
      fetch: async (url) => {
        calls.push(String(url));
        return new Response('{"hello":"world"}', { status: 200 });
      },
    });
    expect(await injected.json({ vendor: 'v', url: 'https://vendor.example/x' })).toEqual({ hello: 'world' });
    expect(calls).toEqual(['https://vendor.example/x']);
  });

  it('parses Retry-After dates and recognises loopback URLs', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    expect(parseRetryAfter('Mon, 30 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(isLoopbackUrl('http://127.0.0.1:9/x')).toBe(true);
    expect(isLoopbackUrl('http://localhost/x')).toBe(true);
    expect(isLoopbackUrl('http://[::1]:80/')).toBe(true);
    expect(isLoopbackUrl('http://oauth2.googleapis.com/token')).toBe(false);
    expect(isLoopbackUrl('http://127.0.0.1.evil.example/')).toBe(false);
  });
});
