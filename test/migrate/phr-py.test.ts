/**
 * `npm run migrate:phr-py` end to end: an old PHR-Py deployment (its tables from
 * test/fixtures/phr-py/schema.sql on the test PostgreSQL server, its FHIR server in process with
 * HAPI's paging and the old Fitbit quirks) moved into the test app's database (PGlite or
 * PostgreSQL), then used the way people would: old passwords, the PHR-App's calls, a reconnect
 * through Google with the same and with a different legacy Fitbit account, a re-run, an erasure.
 */
import type { Observation, Resource } from '@medplum/fhirtypes';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, type MigrationReport, migratePhrPy } from '../../src/migrate/phr-py/migrate.ts';
import { openSourceDb, type SourceDb } from '../../src/migrate/phr-py/source-db.ts';
import { registerUser } from '../helpers/app.ts';
import { connectFitbit } from '../helpers/flow.ts';
import { APP_HEADERS, appClient, dart, entriesOf, jsonBodyOf, parseObservation } from '../helpers/phr-app.ts';
import {
  createOldDatabase,
  type OldDatabase,
  type OldFhirServer,
  oldFitbitObservation,
  postgresAvailable,
  startOldFhirServer,
} from '../helpers/phr-py.ts';
import { type SyncWorld, settled, syncWorld } from '../helpers/sync-world.ts';

const hasServer = await postgresAvailable();

const PASSWORDS = { ana: 'ana old secret', ben: 'ben old secret', cy: 'cy old secret' };
const date = (d: Date) => d.toISOString().slice(0, 10);
const addDays = (day: string, n: number) => date(new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000));

describe.skipIf(!hasServer)('migration from PHR-Py', () => {
  let t: SyncWorld;
  let old: OldDatabase;
  let fhir: OldFhirServer;
  let source: SourceDb;
  let ana: { legacyUserId: string; personId: string };
  let cyPerson: string;
  let clashEmail: string;
  /** Ana's steps of 30 October, changed on the old server after the first run. */
  let editedLater: Observation;

  const run = (dryRun: boolean) =>
    migratePhrPy(
      {
        db: t.deps.db,
        store: t.deps.fhir.store,
        clock: t.clock,
        defaultTimeZone: t.deps.config.defaultTimeZone,
        source,
        fhir: { baseUrl: fhir.url, token: 'old-token', pageSize: 7 },
        concurrency: 2,
      },
      { dryRun },
    );

  const login = (email: string, password: string) =>
    t.app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email, password }),
    });
  const tokenOf = async (email: string, password: string) => {
    const res = await login(email, password);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().access_token as string;
  };
  const storedHash = async (id: number) =>
    (await t.deps.db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirst())
      ?.password_hash;
  const resourceCount = async (id: number) =>
    Number(
      (
        await t.deps.db
          .selectFrom('fhir_resources')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('user_id', '=', id)
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    t = await syncWorld();
    // A person whose Google Health identity carries a legacy Fitbit id, and another one.
    const people = [0, 1, 2, 3, 4, 5].map((seed) =>
      t.sandbox.people.createPerson({ seed: 7100 + seed, days: 10, timeZone: 'America/Los_Angeles' }),
    );
    const withLegacy = people.filter((p) => p.legacyUserId);
    expect(withLegacy.length).toBeGreaterThanOrEqual(2);
    ana = { legacyUserId: withLegacy[0]!.legacyUserId!, personId: withLegacy[0]!.id };
    cyPerson = withLegacy[1]!.id;
    // Someone who signed up here before the move, with the email an old account also has.
    clashEmail = (await registerUser(t.app)).email;

    old = await createOldDatabase();
    const hash = (pw: string, cost = 4) => bcrypt.hashSync(pw, cost);
    await old.query(
      `insert into users (id, name, email, password_hash, fhir_patient_id, timezone, is_admin, is_active, created_at) values
       (101, 'Ana Old', 'Ana.Old@Example.test', $1, 'pat-ana', 'America/Los_Angeles', false, true, '2025-01-15 08:00:00'),
       (102, 'Ben', 'ben@example.test', $2, 'pat-ben', 'Europe/Berlin', false, false, '2025-02-01 09:00:00'),
       (103, 'Cy', 'cy@example.test', $3, 'patient_103 (old)', 'Not/AZone', true, true, '2025-03-01 10:00:00'),
       (104, 'Clash', $4, $5, 'pat-clash', 'UTC', false, true, '2025-03-02 10:00:00')`,
      [
        hash(PASSWORDS.ana),
        hash(PASSWORDS.ben),
        hash(PASSWORDS.cy).replace(/^\$2b\$/, '$2y$'),
        clashEmail,
        hash('x'),
      ],
    );
    await old.query(
      `insert into vendor_integrations (user_id, vendor, is_active, vendor_user_id, last_sync_at, sync_status) values
       (101, 'fitbit', true, $1, '2026-11-01 23:00:00', 'failed'),
       (102, 'fitbit', false, 'BBBBBB', null, null),
       (103, 'fitbit', true, 'ZZZZZZ', '2026-10-30 12:00:00', 'success')`,
      [ana.legacyUserId],
    );
    await old.query(
      `insert into oauth_tokens (user_id, vendor, access_token, refresh_token) values
       (101, 'fitbit', 'gAAAAABfernet-access', 'gAAAAABfernet-refresh')`,
    );
    await old.query(`insert into sync_jobs (user_id, vendor, status) values (101, 'fitbit', 'failed')`);

    fhir = await startOldFhirServer({ token: 'old-token' });
    const obs = (input: Omit<Parameters<typeof oldFitbitObservation>[0], 'patientId'>) =>
      oldFitbitObservation({ patientId: 'pat-ana', ...input });
    const steps = (day: string, value: number, time = '00:00:00') =>
      obs({
        type: 'steps',
        code: '41950-7',
        display: 'Steps',
        value,
        unit: 'steps',
        effective: `${day}T${time}`,
      });
    // 30 days of daily steps up to 2026-11-18, the days Google Health also has from 2026-11-10 on.
    for (let i = 0; i < 30; i++) {
      const r = steps(addDays('2026-10-20', i), 7000 + i);
      if (i === 10) editedLater = r as Observation;
      fhir.add(r);
    }
    fhir.add(
      // A re-synced day under another identifier: one record, the later value.
      steps('2026-10-25', 9999, '12:00:00'),
      // A stamp with an offset: an instant, whose local day in Los Angeles is 19 October.
      obs({
        type: 'steps',
        code: '41950-7',
        display: 'Steps',
        value: 5000,
        unit: 'steps',
        effective: '2026-10-19T07:00:00Z',
      }),
      obs({
        type: 'weight',
        code: '29463-7',
        display: 'Body Weight',
        value: 154.3,
        unit: 'lbs',
        effective: '2026-10-21T07:30:00',
      }),
      obs({
        type: 'distance',
        code: '41953-1',
        display: 'Distance',
        value: 5.2,
        unit: 'km',
        effective: '2026-10-21T00:00:00',
      }),
      obs({
        type: 'calories',
        code: '41981-2',
        display: 'Calories',
        value: 2100,
        unit: 'Cal',
        effective: '2026-10-21T00:00:00',
      }),
      obs({
        type: 'heart_rate',
        code: '8867-4',
        display: 'Heart Rate',
        value: 61,
        unit: 'bpm',
        effective: '2026-10-21T08:15:00',
      }),
      obs({
        type: 'spo2',
        code: '59408-5',
        display: 'SpO2',
        value: 96,
        unit: '%',
        effective: '2026-10-21T00:00:00',
      }),
      obs({
        type: 'floors',
        code: '99999-9',
        display: 'Floors',
        value: 3,
        unit: 'floors',
        effective: '2026-10-21T00:00:00',
      }),
    );
    // What the app posted: a blood-pressure panel, and symptoms (one re-sent by the offline queue).
    fhir.add(
      {
        resourceType: 'Observation',
        id: 'bp-1',
        status: 'final',
        category: [
          {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' },
            ],
          },
        ],
        code: {
          coding: [{ system: 'http://loinc.org', code: '35094-2', display: 'Blood Pressure Panel' }],
          text: 'Blood Pressure',
        },
        subject: { reference: 'Patient/pat-ana' },
        effectiveDateTime: '2026-10-22T09:00:00-07:00',
        component: [
          {
            code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
            valueQuantity: { value: 121, unit: 'mmHg' },
          },
          {
            code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] },
            valueQuantity: { value: 79, unit: 'mmHg' },
          },
        ],
      } as Resource,
      ...['c-1', 'c-2'].map(
        (id) =>
          ({
            resourceType: 'Condition',
            id,
            identifier: [{ system: 'urn:app:condition-request', value: 'headache-2026-10-23' }],
            clinicalStatus: {
              coding: [
                { system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' },
              ],
            },
            code: { text: 'Headache' },
            subject: { reference: 'Patient/pat-ana' },
            onsetDateTime: '2026-10-23T14:00:00-07:00',
            recordedDate: '2026-10-23T14:05:00-07:00',
          }) as Resource,
      ),
    );
    // Cy's old data sits under the old, invalid Patient id.
    fhir.add(
      oldFitbitObservation({
        patientId: 'patient_103 (old)',
        type: 'steps',
        code: '41950-7',
        display: 'Steps',
        value: 4321,
        unit: 'steps',
        effective: '2026-10-20T00:00:00',
      }),
    );
    source = await openSourceDb(old.url);
  });

  afterAll(async () => {
    await source?.close();
    await fhir?.close();
    await old?.drop();
    await t?.close();
  });

  let firstReport: MigrationReport;

  it('a dry run reports what the real run then does, and writes nothing', async () => {
    const usersBefore = await t.deps.db.selectFrom('users').select('id').execute();
    const dry = await run(true);
    expect(await t.deps.db.selectFrom('users').select('id').execute()).toEqual(usersBefore);
    expect(await resourceCount(101)).toBe(0);

    const real = await run(false);
    expect(real.report).toEqual(dry.report);
    expect(formatReport(real.report)).toBe(formatReport(dry.report));
    firstReport = real.report;
    expect(real.report).toMatchObject({
      users: { migrated: 3, inactive: 1, admins: 1, newPatientIds: 1, withoutPassword: 0 },
      fitbitLinks: { needsReconnect: 2, inactive: 1 },
      observations: { steps: 32, body_weight: 1, distance: 1, calories: 1, heart_rate: 1, spo2: 1 },
      userObservations: 1,
      conditions: 1,
      duplicatesMerged: 2,
      skipped: {
        'account: email already in use here': 1,
        'Observation: unknown code 99999-9': 1,
      },
    });
    expect(real.written.created).toBeGreaterThan(35);
    // The old server was read with its token, page by page through its own (internal) next links.
    expect(fhir.requests.filter((p) => p === '/fhir').length).toBeGreaterThan(4);
  });

  it('accounts keep their integer id, email, name, zone, active flag, creation time and admin mark', async () => {
    const rows = await t.deps.db
      .selectFrom('users')
      .selectAll()
      .where('id', 'in', [101, 102, 103, 104])
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.id)).toEqual([101, 102, 103]);
    expect(rows[0]).toMatchObject({
      email: 'ana.old@example.test',
      name: 'Ana Old',
      fhir_patient_id: 'pat-ana',
      time_zone: 'America/Los_Angeles',
      is_active: true,
      is_admin: false,
    });
    expect(rows[0]?.created_at.toISOString()).toBe('2025-01-15T08:00:00.000Z');
    expect(rows[1]).toMatchObject({ is_active: false });
    // An invalid old Patient id is replaced; an unknown zone is not kept.
    expect(rows[2]).toMatchObject({ is_admin: true, time_zone: null });
    expect(rows[2]?.fhir_patient_id).toMatch(/^[0-9a-f-]{36}$/);
    // Nothing of the old tokens came over; a new sign-up gets an id past the old ones.
    expect(await t.deps.db.selectFrom('integration_tokens').selectAll().execute()).toEqual([]);
    expect((await registerUser(t.app)).id).toBeGreaterThan(104);
  });

  it('old passwords sign in, and the bcrypt hash is replaced by ours on the first success', async () => {
    expect(await storedHash(101)).toMatch(/^\$2b\$/);
    expect((await login('ana.old@example.test', 'wrong')).statusCode).toBe(401);
    expect(await storedHash(101)).toMatch(/^\$2b\$/);
    await tokenOf('Ana.Old@example.test', PASSWORDS.ana);
    expect(await storedHash(101)).toMatch(/^scrypt\$/);
    await tokenOf('ana.old@example.test', PASSWORDS.ana);
    // PHP's $2y$ spelling works too.
    await tokenOf('cy@example.test', PASSWORDS.cy);
    expect(await storedHash(103)).toMatch(/^scrypt\$/);
    // A deactivated account stays closed, with the right password too.
    const ben = await login('ben@example.test', PASSWORDS.ben);
    expect(ben.statusCode).toBe(403);
    expect(ben.body).not.toContain('$2b$');
  });

  it('the PHR-App sees the migrated account and its history', async () => {
    const token = await tokenOf('ana.old@example.test', PASSWORDS.ana);
    const client = appClient(t.app, token);
    const me = dart.map(jsonBodyOf(await client.get('/auth/me')));
    expect(dart.int(me.id)).toBe(101);
    expect(me.fhir_patient_id).toBe('pat-ana');
    const list = await client.get('/fhir/Observation?patient=pat-ana&_count=1000&_sort=-date');
    expect(list.statusCode).toBe(200);
    const resources = entriesOf(jsonBodyOf(list));
    const parsed = resources.map(parseObservation);
    const steps = resources.filter((r) => parseObservation(r).loincCode === '41950-7');
    // Ana's 30 days, the day read from an instant, and the re-synced day merged (Cy has the 32nd).
    expect(steps).toHaveLength(31);
    const day25 = steps.find((r) => r.effectiveDateTime === '2026-10-25') as unknown as Observation;
    expect(day25.valueQuantity).toMatchObject({
      value: 9999,
      code: '/d',
      system: 'http://unitsofmeasure.org',
    });
    expect(day25.category?.[0]?.coding?.[0]?.code).toBe('activity');
    expect(day25.meta?.source).toMatch(new RegExp(`^${fhir.url}/Observation/\\d+$`));
    expect(day25.identifier?.[1]?.value).toMatch(/^fitbit-pat-ana-steps-20261025/);
    expect(steps.some((r) => r.effectiveDateTime === '2026-10-19')).toBe(true);
    const weight = parsed.find((o) => o.loincCode === '29463-7');
    expect(weight).toMatchObject({
      value: 69.989,
      unit: 'kg',
      effectiveDateTime: '2026-10-21T07:30:00-07:00',
    });
    expect(parsed.find((o) => o.loincCode === '41953-1')).toMatchObject({ value: 5200 });
    // The app's own blood-pressure panel came back as the person wrote it.
    const bp = parsed.find((o) => o.loincCode === '35094-2');
    expect(bp?.component).toHaveLength(2);

    const conditions = await client.get('/fhir/Condition?patient=pat-ana&_count=10&_sort=-recorded-date');
    expect(conditions.statusCode).toBe(200);
    expect(entriesOf(jsonBodyOf(conditions))).toHaveLength(1);

    // The health API names the source.
    const health = await t.app.inject({
      url: '/health/observations?type=steps&limit=5',
      headers: { ...APP_HEADERS, authorization: `Bearer ${token}` },
    });
    expect(health.statusCode).toBe(200);
    expect(health.json().items[0].source.vendor).toBe('fitbit_legacy');
  });

  it('each old Fitbit link asks for a reconnect through Google, with its reason', async () => {
    const token = await tokenOf('ana.old@example.test', PASSWORDS.ana);
    const auth = { authorization: `Bearer ${token}` };
    const status = await t.app.inject({ url: '/integrations/fitbit/status', headers: auth });
    expect(status.json()).toMatchObject({
      status: 'needs_reauth',
      connected: false,
      message: 'Fitbit moved to Google: reconnect to continue',
    });
    const list = await t.app.inject({ url: '/integrations/vendors', headers: auth });
    expect(list.json().integrations[0]).toMatchObject({ legacy_vendor_user_id: ana.legacyUserId });
    const notices = await t.app.inject({ url: '/notices', headers: auth });
    expect(notices.json().notices).toMatchObject([
      {
        kind: 'integration.needs_reauth',
        code: 'FITBIT_MOVED_TO_GOOGLE',
        message: 'Fitbit moved to Google: reconnect to continue',
      },
    ]);
  });

  it('a re-run changes nothing, and does not undo a password already rehashed', async () => {
    const before = await resourceCount(101);
    const again = await run(false);
    expect(again.report).toEqual(firstReport);
    expect(again.written).toMatchObject({ created: 0, updated: 0 });
    expect(await resourceCount(101)).toBe(before);
    expect(await storedHash(101)).toMatch(/^scrypt\$/);
    await tokenOf('ana.old@example.test', PASSWORDS.ana);
  });

  it('a re-run keeps what changed here after the person signed in (name, time zone)', async () => {
    const users = () => t.deps.db.selectFrom('users').select(['name', 'time_zone']).where('id', '=', 101);
    const before = await users().executeTakeFirstOrThrow();
    await t.deps.db
      .updateTable('users')
      .set({ name: 'Ana Here', time_zone: 'Asia/Tokyo' })
      .where('id', '=', 101)
      .execute();
    try {
      await run(false);
      expect(await users().executeTakeFirst()).toEqual({ name: 'Ana Here', time_zone: 'Asia/Tokyo' });
    } finally {
      await t.deps.db.updateTable('users').set(before).where('id', '=', 101).execute();
    }
  });

  it('a re-run picks up what changed on the old server since', async () => {
    editedLater.valueQuantity = { value: 12345, unit: 'steps' };
    editedLater.meta = { ...editedLater.meta, lastUpdated: '2026-11-19T10:00:00.000+00:00' };
    const again = await run(false);
    expect(again.report).toEqual(firstReport);
    expect(again.written).toMatchObject({ created: 0, updated: 1 });
    const token = await tokenOf('ana.old@example.test', PASSWORDS.ana);
    const res = await t.app.inject({
      url: '/health/summary?type=steps&start=2026-10-30&end=2026-10-31',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.json().buckets[0]).toMatchObject({ date: '2026-10-30', sum: 12345 });
  });

  it('a reconnect with the same legacy Fitbit account makes one record: Google Health wins the days both have', async () => {
    const token = await tokenOf('ana.old@example.test', PASSWORDS.ana);
    const auth = { authorization: `Bearer ${token}` };
    await connectFitbit(t.app, auth, ana.personId);
    const list = await t.app.inject({ url: '/integrations/vendors', headers: auth });
    const integration = list.json().integrations[0];
    expect(integration).toMatchObject({ status: 'connected', legacy_vendor_user_id: ana.legacyUserId });
    await settled(t, integration.id);
    expect((await t.app.inject({ url: '/notices', headers: auth })).json().notices).toEqual([]);

    // What Google Health gave, day by day (the observations list every record with its source).
    const items = await t.app.inject({ url: '/health/observations?type=steps&limit=500', headers: auth });
    const googleSteps = new Map<string, number>();
    for (const i of items.json().items as { date: string; value: number; source: { vendor: string } }[])
      if (i.source.vendor === 'fitbit') googleSteps.set(i.date, i.value);
    const overlap = [...googleSteps.keys()].filter((d) => d >= '2026-10-19' && d <= '2026-11-18');
    expect(overlap.length).toBeGreaterThanOrEqual(3);

    const res = await t.app.inject({
      url: '/health/summary?type=steps&start=2026-10-19&end=2026-11-18',
      headers: auth,
    });
    expect(res.statusCode, res.body).toBe(200);
    const buckets = res.json().buckets as { date: string; count: number; sum: number; source: string }[];
    expect(buckets.length).toBeGreaterThanOrEqual(30);
    for (const b of buckets) {
      // One value a day: Google Health's where it has one, the legacy history on the days before.
      expect(b.count).toBe(1);
      if (googleSteps.has(b.date))
        expect(b, b.date).toMatchObject({ source: 'fitbit', sum: googleSteps.get(b.date) });
      else expect(b, b.date).toMatchObject({ source: 'fitbit_legacy' });
    }
    expect(buckets.find((b) => b.date === '2026-10-25')).toMatchObject({
      source: 'fitbit_legacy',
      sum: 9999,
    });
  });

  it('a reconnect with a different legacy Fitbit account tells the person', async () => {
    const token = await tokenOf('cy@example.test', PASSWORDS.cy);
    const auth = { authorization: `Bearer ${token}` };
    await connectFitbit(t.app, auth, cyPerson);
    const notices = (await t.app.inject({ url: '/notices', headers: auth })).json().notices;
    expect(notices).toMatchObject([{ kind: 'integration.legacy_mismatch', code: 'LEGACY_ACCOUNT_MISMATCH' }]);
    expect(notices[0].message).toContain('different Fitbit account');
  });

  it('a migrated account is erased like any other', async () => {
    const token = await tokenOf('cy@example.test', PASSWORDS.cy);
    expect(await resourceCount(103)).toBeGreaterThan(0);
    const res = await t.app.inject({
      method: 'DELETE',
      url: '/auth/me',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode, res.body).toBe(204);
    expect(await resourceCount(103)).toBe(0);
    expect(await t.deps.db.selectFrom('users').select('id').where('id', '=', 103).execute()).toEqual([]);
    expect(
      await t.deps.db.selectFrom('integrations').select('id').where('user_id', '=', 103).execute(),
    ).toEqual([]);
  });
});
