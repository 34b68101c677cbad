import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOutboundHttp,
  isRetryableVendorError,
  type OutboundHttp,
  VendorHttpError,
  VendorRateLimitError,
} from '../../../src/http/outbound.ts';
import { callWithings } from '../../../src/vendors/withings/envelope.ts';
import {
  classifyWithingsError,
  WithingsApiError,
  WithingsRateLimitError,
  withingsStatusFamily,
} from '../../../src/vendors/withings/errors.ts';
import { fixture, startWithingsStub, type WithingsStub } from './stub.ts';

// The envelope client against the stub: status 0 gives the body; every other status family
// becomes the typed error the access-token service and the sync engine act on.
const NOW = Date.parse('2026-12-01T10:00:00Z');
let stub: WithingsStub;
let deps: { http: OutboundHttp; apiUrl: string; now: () => Date };
beforeAll(async () => {
  stub = await startWithingsStub();
  deps = {
    http: createOutboundHttp({ fetch: globalThis.fetch, maxRetries: 0 }),
    apiUrl: stub.url,
    now: () => new Date(NOW),
  };
});
afterAll(async () => stub?.close());

/** Queues `answer` for /measure and returns what the call threw. */
async function failureOf(answer: { http?: number; json?: unknown; text?: string }): Promise<unknown> {
  stub.queue('/measure', answer);
  return callWithings(deps, { path: '/measure', action: 'getmeas', accessToken: 'token' }).then(
    () => expect.unreachable('the call succeeded'),
    (err: unknown) => err,
  );
}

describe('Withings envelope client', () => {
  it('posts the action and its parameters form-encoded with the bearer token, and returns body', async () => {
    stub.queue('/measure', { json: { status: 0, body: { updatetime: 1718870000, measuregrps: [] } } });
    const body = await callWithings(deps, {
      path: '/measure',
      action: 'getmeas',
      params: { category: 1, lastupdate: 1718860000, offset: undefined },
      accessToken: 'the-token',
    });
    expect(body).toEqual({ updatetime: 1718870000, measuregrps: [] });
    const sent = stub.requests.at(-1);
    expect(sent).toMatchObject({
      path: '/measure',
      authorization: 'Bearer the-token',
      form: { action: 'getmeas', category: '1', lastupdate: '1718860000' },
    });
    expect(sent?.contentType).toContain('application/x-www-form-urlencoded');
    expect(sent?.form).not.toHaveProperty('offset');
  });

  it('auth family (the recorded 401, and 100-102, 200): a 401 the access-token service refreshes on', async () => {
    const answers = [
      fixture('error-401-invalid-token.3p-live.json'),
      ...[100, 101, 102, 200].map((status) => ({ status, body: {}, error: 'auth' })),
    ];
    for (const json of answers) {
      const err = await failureOf({ json });
      expect(err).toBeInstanceOf(WithingsApiError);
      expect(err).toBeInstanceOf(VendorHttpError);
      expect(err).toMatchObject({ vendor: 'withings', vendorStatus: 401, family: 'auth', retryable: false });
      expect(classifyWithingsError(err)).toMatchObject({ kind: 'reauth', code: 'VENDOR_AUTH_REVOKED' });
    }
    const recorded = (await failureOf({
      json: fixture('error-401-invalid-token.3p-live.json'),
    })) as WithingsApiError;
    expect(recorded.withingsStatus).toBe(401);
    expect(recorded.withingsError).toMatch(/invalid_token/);
  });

  it('601: a rate limit that waits wait_seconds (the recorded answer), or a minute without it', async () => {
    const err = await failureOf({ json: fixture('error-601-same-arguments.3p-live.json') });
    expect(err).toBeInstanceOf(WithingsRateLimitError);
    expect(err).toBeInstanceOf(VendorRateLimitError);
    expect(err).toMatchObject({ code: 'VENDOR_RATE_LIMITED', retryAfter: 188, untilMs: NOW + 188_000 });
    expect(isRetryableVendorError(err)).toBe(true);
    expect(classifyWithingsError(err)).toEqual({
      kind: 'delay',
      code: 'VENDOR_RATE_LIMITED',
      message: 'withings status 601',
      untilMs: NOW + 188_000,
    });
    const bare = await failureOf({ json: { status: 601, body: {}, error: 'Too many requests' } });
    expect(bare).toMatchObject({ retryAfter: 60, untilMs: NOW + 60_000 });
  });

  it('invalid params (the recorded 503s, 293) and not implemented (2554): a non-retryable client error', async () => {
    const answers = [
      fixture('error-503-invalid-code.3p-live.json'),
      fixture('error-503-invalid-refresh-token.3p-live.json'),
      { status: 293, body: {}, error: 'The callback URL is either unknown or invalid' },
      { status: 2554, body: {}, error: "Unknown action 'nope' for 'measure'" },
    ];
    for (const json of answers) {
      const err = await failureOf({ json });
      expect(err).toMatchObject({ vendorStatus: 400, retryable: false, code: 'VENDOR_ERROR' });
      expect(isRetryableVendorError(err)).toBe(false);
      expect(classifyWithingsError(err)).toMatchObject({ kind: 'skip-type', code: 'VENDOR_ERROR' });
    }
    const last = (await failureOf({
      json: fixture('error-503-invalid-code.3p-live.json'),
    })) as WithingsApiError;
    expect(last).toMatchObject({ family: 'invalid_params', withingsStatus: 503 });
  });

  it('unauthorized family (214, 277, 2553, 2555): this type is not allowed, skip it', async () => {
    for (const status of [214, 277, 2553, 2555]) {
      const err = await failureOf({ json: { status, body: {}, error: 'not allowed' } });
      expect(err).toMatchObject({ family: 'unauthorized', vendorStatus: 403, retryable: false });
      expect(classifyWithingsError(err)).toMatchObject({ kind: 'skip-type', code: 'SCOPE_NOT_GRANTED' });
    }
  });

  it('timeout (522), bad state (524) and "an error occurred" (listed or unknown statuses): retryable', async () => {
    const cases = [
      [522, 'timeout'],
      [524, 'bad_state'],
      [215, 'error'],
      [2551, 'error'],
      [9000, 'error'],
      [7777, 'error'],
    ] as const;
    for (const [status, family] of cases) {
      const err = await failureOf({ json: { status, body: {}, error: 'An error occurred' } });
      expect(err).toMatchObject({
        family,
        withingsStatus: status,
        retryable: true,
        code: 'VENDOR_UNAVAILABLE',
      });
      expect(isRetryableVendorError(err)).toBe(true);
      expect(classifyWithingsError(err)).toMatchObject({ kind: 'retry', code: 'VENDOR_UNAVAILABLE' });
    }
  });

  it('an answer that is not an envelope: retryable, whatever the HTTP status', async () => {
    for (const answer of [{ text: '<html>Bad gateway</html>' }, { json: { body: {} } }, { json: [1] }]) {
      const err = await failureOf(answer);
      expect(err).toMatchObject({ family: 'bad_response', withingsStatus: null, retryable: true });
      expect(classifyWithingsError(err)).toMatchObject({ kind: 'retry' });
    }
    // A proxy's HTML 502: the outbound wrapper's own typed error, left to the vendor-neutral rules.
    const proxy = await failureOf({ http: 502, text: '<html>Bad gateway</html>' });
    expect(proxy).toBeInstanceOf(VendorHttpError);
    expect(proxy).not.toBeInstanceOf(WithingsApiError);
    expect(proxy).toMatchObject({ vendorStatus: 502, retryable: true });
    expect(classifyWithingsError(proxy)).toBeUndefined();
    expect(classifyWithingsError(new Error('other'))).toBeUndefined();
  });

  it('sorts statuses at the edges of the published families', () => {
    const families = Object.fromEntries(
      [
        0, 99, 100, 102, 103, 200, 201, 213, 214, 215, 254, 255, 401, 501, 511, 512, 3016, 3017, 3019, 3020,
      ].map((s) => [s, withingsStatusFamily(s)]),
    );
    expect(families).toEqual({
      0: 'ok',
      99: 'error',
      100: 'auth',
      102: 'auth',
      103: 'error',
      200: 'auth',
      201: 'invalid_params',
      213: 'invalid_params',
      214: 'unauthorized',
      215: 'error',
      254: 'invalid_params',
      255: 'error',
      401: 'auth',
      501: 'invalid_params',
      511: 'invalid_params',
      512: 'error',
      3016: 'error',
      3017: 'invalid_params',
      3019: 'invalid_params',
      3020: 'error',
    });
  });

  it('sends nothing over plain http except to loopback', async () => {
    const sent: string[] = [];
    const http: OutboundHttp = {
      send: async () => expect.unreachable(),
      request: async (req) => {
        sent.push(String(req.url));
        return Response.json({ status: 0, body: {} });
      },
      json: async () => expect.unreachable(),
    };
    const call = (apiUrl: string) =>
      callWithings({ http, apiUrl, now: () => new Date(NOW) }, { path: '/measure', action: 'getmeas' });
    await expect(call('http://wbsapi.example.test')).rejects.toMatchObject({ code: 'VENDOR_ERROR' });
    expect(sent).toEqual([]);
    await call('http://127.0.0.1:9');
    await call('https://wbsapi.withings.net');
    expect(sent).toEqual(['http://127.0.0.1:9/measure', 'https://wbsapi.withings.net/measure']);
  });
});
