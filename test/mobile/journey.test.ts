// The PHR-App's calls (docs/mobile-app.md "What the app calls", rows 1-11) in the order a person makes them,
// against the vendor sandbox: login, dashboard, connect in the system browser, sync, vitals, disconnect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, consentWithForm } from '../helpers/flow.ts';
import {
  APP_HEADERS,
  type AppClient,
  appClient,
  dart,
  dartTryParse,
  entriesOf,
  groupLabel,
  jsonBodyOf,
  parseObservation,
} from '../helpers/phr-app.ts';
import { type SyncWorld, settled, syncWorld } from '../helpers/sync-world.ts';

let t: SyncWorld;
beforeAll(async () => {
  t = await syncWorld({ start: '2026-11-20T09:30:00Z', env: { ACCESS_TOKEN_TTL: '90d' } });
});
afterAll(async () => t?.close());

const password = 'correct horse battery';

/** `BackendSyncStatus` in the app: which of its four states a /sync/status body means. */
function appSyncState(body: unknown): 'queued' | 'running' | 'success' | 'failed' | 'unknown' {
  if (typeof body === 'string') return mapStatus(body);
  const data = dart.map(body);
  const vendors = Array.isArray(data.vendors) ? data.vendors.map((v) => dart.map(v)) : [];
  const entry = vendors.find((v) => v.vendor === 'fitbit') ?? vendors[0] ?? data;
  const raw = entry.last_job_status ?? entry.status ?? entry.state ?? entry.sync_status;
  return mapStatus(raw == null ? undefined : String(raw));
}

function mapStatus(s: string | undefined) {
  switch (s?.toLowerCase()) {
    case 'pending':
    case 'queued':
    case 'accepted':
      return 'queued';
    case 'running':
    case 'in_progress':
    case 'processing':
    case 'syncing':
      return 'running';
    case 'success':
    case 'succeeded':
    case 'done':
    case 'completed':
      return 'success';
    case 'failed':
    case 'error':
      return 'failed';
    default:
      return 'unknown';
  }
}

async function login(email: string) {
  // AuthService's Dio: only `Content-Type: application/json` by default; no token.
  const res = await t.app.inject({
    method: 'POST',
    url: '/auth/login',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ email, password }),
  });
  expect(res.statusCode).toBe(200); // exactly 200: another 2xx is "Login failed"
  const body = dart.map(jsonBodyOf(res));
  dart.string(body.token_type, 'token_type');
  return { token: dart.string(body.access_token, 'access_token'), expiresIn: body.expires_in };
}

async function me(token: string) {
  const res = await t.app.inject({
    url: '/auth/me',
    headers: { ...APP_HEADERS, authorization: `Bearer ${token}` },
  });
  expect(res.statusCode).toBe(200);
  const body = dart.map(jsonBodyOf(res));
  return {
    id: dart.int(body.id, 'id'),
    name: dart.string(body.name, 'name'),
    email: dart.string(body.email, 'email'),
    fhirPatientId: dart.string(body.fhir_patient_id, 'fhir_patient_id'),
    createdAt: dart.stringOrNull(body.created_at, 'created_at'),
  };
}

describe('PHR-App against this backend, call by call', () => {
  let client: AppClient;
  let token: string;
  let user: Awaited<ReturnType<typeof me>>;
  const email = `app.${Date.now()}@example.test`;

  it('rows 1-2: logs in with JSON and reads an integer id, a name and a non-null Patient id', async () => {
    const reg = await t.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password } });
    expect(reg.statusCode).toBe(201);
    const session = await login(email);
    token = session.token;
    expect(session.expiresIn).toBe(90 * 86_400); // ACCESS_TOKEN_TTL: the app never refreshes
    user = await me(token);
    expect(user.name).toBe(email.split('@')[0]); // no name given at registration
    expect(user.email).toBe(email);
    expect(dartTryParse(user.createdAt)).not.toBeNull();
    client = appClient(t.app, token);

    // Wrong password: a 401 whose message fields are strings (ApiErrorMapper casts them to String?).
    const bad = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: { email, password: 'wrong password' },
    });
    expect(bad.statusCode).toBe(401);
    const err = dart.map(jsonBodyOf(bad));
    for (const k of ['message', 'error', 'errorMessage', 'detail', 'code', 'errorCode'])
      dart.stringOrNull(err[k], k);
  });

  it('row 3: GET /health says the FHIR store is connected (with and without the token)', async () => {
    for (const res of [await client.get('/health'), await t.app.inject({ url: '/health' })]) {
      expect(res.statusCode).toBe(200);
      const body = dart.map(jsonBodyOf(res));
      expect(dart.string(body.status)).not.toBe('unreachable');
      expect(dart.map(body.fhir).status).toBe('connected');
    }
  });

  it('row 7 before connecting: status is exactly 200 with connected false', async () => {
    const res = await client.get('/integrations/fitbit/status');
    expect(res.statusCode).toBe(200);
    const body = dart.map(jsonBodyOf(res));
    expect(body.connected ?? body.is_connected).toBe(false);
    dart.stringOrNull(body.message, 'message');
  });

  it('rows 4 and 8: select, then the system browser opens authorize?token= with no Authorization header', async () => {
    const person = t.sandbox.people.createPerson({ days: 10, timeZone: 'Asia/Jakarta', seed: 9 });
    const select = await client.post('/integrations/vendors/select', { vendor: 'fitbit' });
    expect(select.statusCode).toBeGreaterThanOrEqual(200);
    expect(select.statusCode).toBeLessThan(300);

    // A browser: its own headers, the token only in the query.
    const browser = {
      accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
      'user-agent': 'Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile Safari/537.36',
    };
    const start = await t.app.inject({
      url: `/integrations/fitbit/authorize?token=${encodeURIComponent(token)}`,
      headers: browser,
    });
    expect(start.statusCode).toBe(302);
    // The browser keeps the cookie that binds this flow to it, and sends it to the callback.
    const jar = new Browser();
    jar.receive(start.headers['set-cookie']);
    expect(String(start.headers['set-cookie'])).toContain('HttpOnly');
    expect(start.headers['referrer-policy']).toBe('no-referrer');
    expect(start.headers['cache-control']).toBe('no-store');
    const to = String(start.headers.location);
    expect(to.startsWith(t.sandbox.env.GOOGLE_OAUTH_AUTHORIZE_URL ?? '-')).toBe(true);
    expect(to).not.toContain(token);

    const back = new URL(await consentWithForm(to, { action: 'allow', personId: person.id }));
    const callback = await t.app.inject({
      url: `${back.pathname}${back.search}`,
      headers: { ...browser, ...jar.headers() },
    });
    expect(callback.statusCode).toBe(302);
    expect(String(callback.headers.location)).toContain('status=connected');
    const page = await t.app.inject({ url: String(callback.headers.location), headers: browser });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('return to the app');

    expect(t.logs.join('')).not.toContain(token);
    // The query token is accepted on the authorize route only.
    expect((await t.app.inject({ url: `/integrations/vendors?token=${token}` })).statusCode).toBe(401);
    expect((await t.app.inject({ url: `/fhir/Observation?token=${token}` })).statusCode).toBe(401);
    expect((await t.app.inject({ url: `/sync/status?token=${token}` })).statusCode).toBe(401);
  });

  it('row 7 after connecting: connected true, exactly 200', async () => {
    const res = await client.get('/integrations/fitbit/status');
    expect(res.statusCode).toBe(200);
    expect(dart.map(jsonBodyOf(res)).connected).toBe(true);
  });

  it('rows 9-10: the sync button (empty body, JSON content type) and the status polling end in success', async () => {
    const list = dart.map(jsonBodyOf(await client.get('/integrations/vendors')));
    const integrationId = dart.string(dart.map(dart.list(list.integrations)[0]).id);
    await settled(t, integrationId); // the backfill started by the connection
    t.clock.advance(5 * 60_000);

    const res = await client.post('/vendors/fitbit/sync');
    expect([200, 201, 202]).toContain(res.statusCode);
    const trigger = dart.map(jsonBodyOf(res));
    expect(String(trigger.sync_job_id ?? trigger.job_id ?? trigger.id)).toMatch(/^[0-9a-f-]{36}$/);

    // Two reads at once, then polling until terminal (the app gives up after 60 s).
    const first = await Promise.all([client.get('/sync/status'), client.get('/sync/status')]);
    for (const r of first) {
      expect(r.statusCode).toBe(200);
      expect(['queued', 'running', 'success']).toContain(appSyncState(jsonBodyOf(r)));
    }
    let state = appSyncState(first[0]?.json());
    const deadline = Date.now() + 60_000;
    let body: Record<string, unknown> = {};
    while (state !== 'success' && state !== 'failed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      body = dart.map(jsonBodyOf(await client.get('/sync/status')));
      state = appSyncState(body);
    }
    expect(state).toBe('success');
    const entry = dart.map(dart.list(body.vendors)[0]);
    expect(entry).toMatchObject({
      vendor: 'fitbit',
      last_job_status: 'success',
      sync_job_id: trigger.sync_job_id,
    });
    dart.string(entry.message, 'message');
    expect(dart.int(body.user_id)).toBe(user.id);
  });

  it('row 6: the dashboard’s "Last sync" comes from the active integration', async () => {
    const body = dart.map(jsonBodyOf(await client.get('/integrations/vendors')));
    const list = dart.list(body.integrations).map((i) => dart.map(i));
    const active = list.find((i) => i.is_active === true) ?? list[0];
    expect(dartTryParse(active?.last_sync_at)).not.toBeNull();
  });

  it('row 11: one page of vitals the app can parse, grouped on the screens it has', async () => {
    const res = await client.get(`/fhir/Observation?patient=${user.fhirPatientId}&_count=1000&_sort=-date`);
    expect(res.statusCode).toBe(200);
    const bundle = dart.map(jsonBodyOf(res));
    const self = (bundle.link as { relation: string; url: string }[]).find((l) => l.relation === 'self');
    expect(self?.url).toContain('_count=500'); // clamped, not refused: the app shows what one page holds
    const items = entriesOf(bundle).map(parseObservation);
    expect(items.length).toBeGreaterThan(50);
    for (const item of items) {
      expect(dartTryParse(item.effectiveDateTime), JSON.stringify(item)).not.toBeNull();
      if (item.component === null) expect(typeof item.value, JSON.stringify(item)).toBe('number');
    }
    const groups = new Set(items.map((i) => groupLabel(i.type)));
    // Types the app has screens for land on them by name.
    for (const label of ['Heart Rate', 'Steps', 'Calories Burned', 'Oxygen Saturation']) {
      expect(groups, label).toContain(label);
    }
    for (const label of groups) expect(label, 'no garbled capitals').not.toMatch(/\b[A-Z] [A-Z]/);
    // Newest first, as asked.
    // (The phone is in the person's zone: a bare date is its local midnight.)
    const times = items.map((i) => dartTryParse(i.effectiveDateTime, '+07:00')?.getTime() ?? 0);
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('row 5: disconnect is idempotent, then status is connected false (200)', async () => {
    for (let i = 0; i < 2; i += 1) {
      const res = await client.post('/integrations/vendors/disconnect', { vendor: 'fitbit' });
      expect(res.statusCode).toBeGreaterThanOrEqual(200);
      expect(res.statusCode).toBeLessThan(300);
    }
    const status = await client.get('/integrations/fitbit/status');
    expect(status.statusCode).toBe(200);
    expect(dart.map(status.json()).connected).toBe(false);
    // Sync without an active integration: an error the sync screen shows (not a logout).
    const sync = await client.post('/vendors/fitbit/sync');
    expect(sync.statusCode).toBe(404);
    dart.string(dart.map(jsonBodyOf(sync)).detail, 'detail');
  });

  it('only the sync alias accepts an empty JSON body; other routes still refuse it', async () => {
    for (const url of [
      '/integrations/vendors/select',
      '/integrations/vendors/disconnect',
      '/fhir/Observation',
    ]) {
      const res = await client.post(url);
      expect(res.statusCode, url).toBe(400);
    }
    // Broken JSON is refused on the alias too.
    const broken = await t.app.inject({
      method: 'POST',
      url: '/vendors/fitbit/sync',
      headers: { ...APP_HEADERS, authorization: `Bearer ${token}` },
      payload: '{"vendor":',
    });
    expect(broken.statusCode).toBe(400);
  });

  it('any route answers 401 to an expired or foreign token (the app then logs out)', async () => {
    for (const url of ['/auth/me', '/sync/status', '/integrations/vendors', '/fhir/Observation']) {
      const res = await t.app.inject({
        url,
        headers: { ...APP_HEADERS, authorization: 'Bearer not-a-token' },
      });
      expect(res.statusCode, url).toBe(401);
    }
  });
});
