/** The batch insert of audit events: every column survives the trip, ids included, in any number. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditEvent, insertEvents, listEvents } from '../../src/audit/audit.repository.ts';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

describe('insertEvents', () => {
  it('stores each event as given: no ids, one, many, odd characters, detail, nulls', async () => {
    const u = await registerUser(t.app);
    const at = (s: number) => new Date(Date.UTC(2026, 10, 30, 12, 0, s, 123));
    const base = {
      user_id: u.id,
      actor_user_id: u.id,
      resource_type: 'Observation',
      item_count: null,
      detail: null,
      request_id: null,
      ip: null,
    };
    const many = Array.from({ length: 500 }, (_, i) => `id-${i}.x`);
    const events: AuditEvent[] = [
      { ...base, action: 'a.none', resource_ids: [], at: at(1) },
      { ...base, action: 'a.empty-id', resource_ids: [''], at: at(5) },
      {
        ...base,
        action: 'a.one',
        resource_ids: ['only'],
        at: at(2),
        item_count: 1,
        request_id: 'r-1',
        ip: '::1',
      },
      { ...base, action: 'a.many', resource_ids: many, at: at(3), item_count: 500 },
      {
        ...base,
        action: 'a.odd',
        resource_ids: ['with,comma', 'with "quote"', 'back\\slash', '{braces}', 'NULL', '', 'sep\u001fin'],
        at: at(4),
        detail: { reason: 'test', nested: { n: 1 } },
        actor_user_id: null,
        resource_type: null,
      },
    ];
    expect(await insertEvents(t.deps.db, events)).toBe(5);

    const { rows } = await listEvents(t.deps.db, u.id, { after: undefined, limit: 10 });
    const byAction = new Map(rows.map((r) => [r.action, r]));
    expect(byAction.get('a.none')).toMatchObject({ resource_ids: [], item_count: null, detail: null });
    expect(byAction.get('a.one')).toMatchObject({
      resource_ids: ['only'],
      item_count: 1,
      request_id: 'r-1',
      ip: '::1',
    });
    expect(byAction.get('a.many')?.resource_ids).toEqual(many);
    expect(byAction.get('a.empty-id')?.resource_ids).toEqual(['']);
    expect(byAction.get('a.odd')).toMatchObject({
      resource_ids: ['with,comma', 'with "quote"', 'back\\slash', '{braces}', 'NULL', '', 'sep\uFFFDin'],
      detail: { reason: 'test', nested: { n: 1 } },
      actor_user_id: null,
      resource_type: null,
    });
    expect(byAction.get('a.one')?.at.toISOString()).toBe(at(2).toISOString());
  });

  it('drops events of accounts that no longer exist, keeps anonymized ones', async () => {
    const base = {
      actor_user_id: null,
      resource_type: null,
      item_count: null,
      detail: null,
      request_id: null,
      ip: null,
    };
    const n = await insertEvents(t.deps.db, [
      { ...base, user_id: 2_000_000_000, action: 'gone', resource_ids: ['x'], at: new Date() },
      { ...base, user_id: null, action: 'anonymized', resource_ids: [], at: new Date() },
    ]);
    expect(n).toBe(1);
  });
});
