import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';
import { stepsDays, storeMeasurements } from '../helpers/observations.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

interface AuditItem {
  id: number;
  action: string;
  resource_type: string | null;
  resource_ids: string[];
  item_count: number | null;
  actor_user_id: number | null;
  at: string;
  request_id: string | null;
  ip: string | null;
}
type AuditPage = { items: AuditItem[]; next_cursor: string | null; limit: number };

const auditOf = async (auth: { authorization: string }, query = '') =>
  (await t.app.inject({ url: `/auth/me/audit?${query}`, headers: auth })).json() as AuditPage;

describe('audit trail', () => {
  it('records list reads with the returned ids and their count, never values', async () => {
    const u = await registerUser(t.app);
    await storeMeasurements(t, u.id, stepsDays('2026-01-01', 3));
    const read = await t.app.inject({
      url: '/health/observations?type=steps&limit=2',
      headers: { ...u.auth, 'x-request-id': 'req-audit-1' },
    });
    const ids = (read.json() as { items: { id: string }[] }).items.map((i) => i.id);
    const page = await auditOf(u.auth);
    const event = page.items.find((e) => e.request_id === 'req-audit-1');
    expect(event).toMatchObject({
      action: 'health.observations.list',
      resource_type: 'Observation',
      resource_ids: ids,
      item_count: 2,
      actor_user_id: u.id,
    });
    expect(event!.ip).toBeTruthy();
    expect(Date.parse(event!.at)).toBeGreaterThan(Date.now() - 60_000);
    // Never values: the stored row holds ids, a count and request facts only.
    const [row] = await t.deps.db
      .selectFrom('audit_events')
      .selectAll()
      .where('user_id', '=', u.id)
      .execute();
    expect(row!.detail).toBeNull();
    expect(Object.keys(row!).sort()).toEqual(
      [
        'action',
        'actor_user_id',
        'at',
        'detail',
        'id',
        'ip',
        'item_count',
        'request_id',
        'resource_ids',
        'resource_type',
        'user_id',
      ].sort(),
    );
  });

  it('records reads by id from the route params (FHIR read) and summaries and exports', async () => {
    const u = await registerUser(t.app);
    const [obs] = await storeMeasurements(t, u.id, stepsDays('2026-02-01', 1));
    expect((await t.app.inject({ url: `/fhir/R4/Observation/${obs!.id}`, headers: u.auth })).statusCode).toBe(
      200,
    );
    expect((await t.app.inject({ url: '/health/summary?type=steps', headers: u.auth })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/health/export?format=csv', headers: u.auth })).statusCode).toBe(200);
    const page = await auditOf(u.auth);
    expect(page.items.map((e) => e.action)).toEqual([
      'health.export',
      'health.summary.read',
      'fhir.Observation.read',
    ]);
    expect(page.items[2]!.resource_ids).toEqual([obs!.id]);
    expect(page.items[0]).toMatchObject({ resource_ids: [], item_count: 1 });
  });

  it('skips failed requests and unaudited routes', async () => {
    const u = await registerUser(t.app);
    await t.app.inject({ url: '/health/observations?type=nope', headers: u.auth });
    await t.app.inject({ url: '/auth/me', headers: u.auth });
    await t.app.inject({ url: '/fhir/R4/Observation/does-not-exist', headers: u.auth });
    expect((await auditOf(u.auth)).items).toEqual([]);
  });

  it('pages newest first and shows each person only their own events', async () => {
    const a = await registerUser(t.app);
    const b = await registerUser(t.app);
    for (let i = 0; i < 5; i += 1) {
      await t.app.inject({ url: '/health/observations', headers: { ...a.auth, 'x-request-id': `a-${i}` } });
    }
    await t.app.inject({ url: '/health/observations', headers: b.auth });
    const first = await auditOf(a.auth, 'limit=3');
    expect(first.items.map((e) => e.request_id)).toEqual(['a-4', 'a-3', 'a-2']);
    const second = await auditOf(a.auth, `limit=3&cursor=${first.next_cursor}`);
    expect(second.items.map((e) => e.request_id)).toEqual(['a-1', 'a-0']);
    expect(second.next_cursor).toBeNull();
    expect((await auditOf(b.auth)).items).toHaveLength(1);
    const bad = await t.app.inject({ url: '/auth/me/audit?cursor=zzz', headers: a.auth });
    expect(bad.statusCode).toBe(400);
    expect((await t.app.inject({ url: '/auth/me/audit?limit=501', headers: a.auth })).statusCode).toBe(400);
  });

  it('records integration select and disconnect', async () => {
    const u = await registerUser(t.app);
    const sel = await t.app.inject({
      method: 'POST',
      url: '/integrations/vendors/select',
      headers: u.auth,
      payload: { vendor: 'fitbit' },
    });
    expect(sel.statusCode).toBe(201);
    const id = (sel.json() as { id: string }).id;
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/integrations/vendors/${id}`, headers: u.auth }))
        .statusCode,
    ).toBe(204);
    const page = await auditOf(u.auth);
    expect(page.items.map((e) => [e.action, e.resource_type, e.resource_ids])).toEqual([
      ['integration.disconnect', 'Integration', [id]],
      ['integration.select', 'Integration', [id]],
    ]);
  });
});
