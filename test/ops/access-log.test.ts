// The access log: Google's unauthenticated verification probe, whose 401 is the expected answer,
// is logged at debug (below the default info level); other refusals on the webhook stay at info.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const SECRET = 'Bearer access-log-test-secret-0123456789';

function accessLine(t: TestApp, status: number): { level: number } | undefined {
  return t.logs
    .map((l) => JSON.parse(l) as { level: number; msg: string; res?: { statusCode: number } })
    .find((l) => l.msg === 'request completed' && l.res?.statusCode === status);
}

describe('webhook verification probe in the access log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { LOG_LEVEL: 'debug', GOOGLE_HEALTH_WEBHOOK_SECRET: SECRET } });
  });
  afterAll(async () => t?.close());

  const probe = (headers: Record<string, string>) =>
    t.app.inject({
      method: 'POST',
      url: '/integrations/fitbit/webhook',
      headers,
      payload: { type: 'verification' },
    });

  it('the probe without the secret gets 401, logged at debug', async () => {
    expect((await probe({})).statusCode).toBe(401);
    expect(accessLine(t, 401)?.level).toBe(20);
  });

  it('a wrong secret (403) and the accepted probe (201) stay at info', async () => {
    expect((await probe({ authorization: 'Bearer wrong' })).statusCode).toBe(403);
    expect(accessLine(t, 403)?.level).toBe(30);
    expect((await probe({ authorization: SECRET })).statusCode).toBe(201);
    expect(accessLine(t, 201)?.level).toBe(30);
  });
});
