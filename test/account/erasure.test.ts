import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import {
  createTestApp,
  registerUser,
  type SandboxTestApp,
  type TestApp,
  withSandbox,
} from '../helpers/app.ts';
import { heartRateHour, patientIdOf, stepsDays, storeMeasurements } from '../helpers/observations.ts';
import { connectFitbit } from '../integrations/flow.ts';

let t: SandboxTestApp;
beforeAll(async () => {
  t = await withSandbox();
});
afterAll(async () => t?.close());

/** Every base table of the app's schema, each row as JSON text, plus its integer *user_id columns. */
async function scanDatabase(db: Db): Promise<{ table: string; json: string; userIds: number[] }[]> {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db);
  const columns = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = current_schema() and data_type in ('integer', 'bigint')
      and (column_name like '%user_id' or (table_name = 'users' and column_name = 'id'))`.execute(db);
  const out: { table: string; json: string; userIds: number[] }[] = [];
  for (const { table_name } of tables.rows) {
    const idCols = columns.rows.filter((c) => c.table_name === table_name).map((c) => c.column_name);
    const rows = await sql<{ j: string; ids: (number | null)[] }>`
      select row_to_json(x)::text as j,
        array[${sql.join([...idCols.map((c) => sql`${sql.ref(`x.${c}`)}::bigint`), sql`null::bigint`])}] as ids
      from ${sql.table(table_name)} as x`.execute(db);
    for (const r of rows.rows) {
      out.push({
        table: table_name,
        json: r.j,
        userIds: r.ids.filter((v): v is number => v !== null).map(Number),
      });
    }
  }
  return out;
}

describe('DELETE /auth/me (erasure)', () => {
  it('revokes grants and leaves nothing of the person in any table', async () => {
    const a = await registerUser(t.app, { name: 'Ada Lovelace' });
    const b = await registerUser(t.app);
    const person = t.sandbox.people.createPerson();
    await connectFitbit(t.app, a.auth, person.id);
    const patientId = await patientIdOf(t, a.id);
    const observations = await storeMeasurements(t, a.id, [
      ...stepsDays('2026-01-01', 5),
      heartRateHour('2026-01-02T10:00:00+01:00', 70),
    ]);
    await storeMeasurements(t, b.id, stepsDays('2026-01-01', 2));
    await t.app.inject({ url: '/health/observations', headers: a.auth });
    await t.app.inject({ url: '/health/observations', headers: b.auth });
    await t.deps.audit.flush();
    const integration = await t.deps.db
      .selectFrom('integrations')
      .selectAll()
      .where('user_id', '=', a.id)
      .executeTakeFirstOrThrow();
    const before = await scanDatabase(t.deps.db);
    expect(before.some((r) => r.json.includes(patientId))).toBe(true);
    expect(before.some((r) => r.table === 'integration_tokens' && r.userIds.includes(a.id))).toBe(true);

    const res = await t.app.inject({
      method: 'DELETE',
      url: '/auth/me',
      headers: { ...a.auth, 'x-request-id': 'erase-1' },
    });
    expect(res.statusCode, t.logs.filter((l) => l.includes('"level":50')).join('')).toBe(204);

    // The vendor grant is revoked at the vendor.
    const grants = t.sandbox.admin.requestLog().grants.filter((g) => g.personId === person.id);
    expect(grants.length).toBeGreaterThan(0);
    expect(grants.every((g) => g.revoked)).toBe(true);

    // Nothing of the person anywhere: ids, patient id, email, name, integration, vendor user, observations.
    await t.deps.audit.flush();
    const after = await scanDatabase(t.deps.db);
    const needles = [patientId, a.email, 'Ada Lovelace', integration.id, ...observations.map((o) => o.id!)];
    if (integration.vendor_user_id) needles.push(integration.vendor_user_id);
    for (const row of after) {
      expect(row.userIds, `${row.table}: ${row.json}`).not.toContain(a.id);
      for (const n of needles) expect(row.json.includes(n), `${row.table} holds ${n}`).toBe(false);
    }

    // One anonymized record of the erasure remains.
    const records = after.filter((r) => r.table === 'audit_events' && r.json.includes('"account.erase"'));
    expect(records).toHaveLength(1);
    expect(JSON.parse(records[0]!.json)).toMatchObject({
      user_id: null,
      actor_user_id: null,
      resource_ids: [],
      ip: null,
      request_id: 'erase-1',
      detail: { integrations: 1, grants_revoked: 1 },
    });

    // At least the observations and the Patient (the backfill sync started on connect may add more).
    expect(JSON.parse(records[0]!.json).detail.resources).toBeGreaterThanOrEqual(observations.length + 1);

    // The other person is untouched; the erased account's token no longer works.
    const bItems = await t.app.inject({ url: '/health/observations', headers: b.auth });
    expect((bItems.json() as { items: unknown[] }).items).toHaveLength(2);
    expect((await t.app.inject({ url: '/auth/me', headers: a.auth })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: a.auth })).statusCode).toBe(401);
    const login = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: a.email, password: 'correct horse battery' },
    });
    expect(login.statusCode).toBe(401);
  });
});

describe('erasure with an external FHIR server', () => {
  let r: TestApp;
  beforeAll(async () => {
    // Nothing listens there: deletions stay queued, which is what this test looks at.
    r = await createTestApp({ env: { FHIR_SERVER_URL: 'http://127.0.0.1:9/fhir' } });
  });
  afterAll(async () => r?.close());

  it('queues a mirrored deletion for every resource and nothing else of the person', async () => {
    const a = await registerUser(r.app);
    const observations = await storeMeasurements(r, a.id, stepsDays('2026-01-01', 3));
    expect((await r.app.inject({ method: 'DELETE', url: '/auth/me', headers: a.auth })).statusCode).toBe(204);
    const outbox = await r.deps.db
      .selectFrom('fhir_outbox')
      .selectAll()
      .where('user_id', '=', a.id)
      .execute();
    expect(outbox.every((o) => o.action === 'delete')).toBe(true);
    const deleted = outbox.map((o) => o.resource_id);
    for (const o of observations) expect(deleted).toContain(o.id);
    expect(await r.deps.db.selectFrom('users').select('id').where('id', '=', a.id).execute()).toEqual([]);
    expect(
      await r.deps.db.selectFrom('fhir_resources').select('id').where('user_id', '=', a.id).execute(),
    ).toEqual([]);
  });
});
