/**
 * POST /imports/apple-health end to end: upload (raw body and multipart), the job, the
 * Observations and totals the health API then shows, re-import, failures and undo.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedTotals, exportXml, writeExport } from '../fixtures/apple-health/generate.ts';
import { registerUser } from '../helpers/app.ts';
import { importRaw, importTestApp, waitForImport } from './helpers.ts';

const FIXTURE = join(import.meta.dirname, '../fixtures/apple-health/export-3-days.zip');
const FIXTURE_OPTIONS = { start: '2026-11-01', days: 3, malformed: true, heartRateEveryMinutes: 10 };

let t: Awaited<ReturnType<typeof importTestApp>>;
let zip: Buffer;

beforeAll(async () => {
  t = await importTestApp();
  zip = await readFile(FIXTURE);
});
afterAll(async () => t?.close());

type Bucket = { date: string; sum: number; count: number };
async function dailySums(auth: { authorization: string }, type: string): Promise<Record<string, number>> {
  const res = await t.app.inject({
    url: `/health/summary?type=${type}&start=2026-10-30&end=2026-11-05`,
    headers: auth,
  });
  expect(res.statusCode, res.body).toBe(200);
  return Object.fromEntries((res.json() as { buckets: Bucket[] }).buckets.map((b) => [b.date, b.sum]));
}

describe('Apple Health import', () => {
  it('keeps the committed fixture equal to what the generator writes', async () => {
    const path = join(t.dataDir, 'fresh.zip');
    await writeExport(path, FIXTURE_OPTIONS, { zip: true });
    expect((await readFile(path)).equals(zip)).toBe(true);
  });

  it('imports an export.zip: daily totals as the Health app counts them, every type, skipped reasons', async () => {
    const u = await registerUser(t.app);
    const done = await importRaw(t, u.auth, zip);
    expect(done).toMatchObject({ status: 'succeeded', progress: 1, error: null });
    expect(done.skipped).toEqual({ unsupported_type: 6, invalid_date: 1, invalid_value: 1 });
    expect(done.by_type).toMatchObject({
      steps: 297,
      distance: 297,
      calories: 285,
      sleep: 18,
      blood_pressure: 4,
    });
    expect(done.records_read).toBe([...exportXml(FIXTURE_OPTIONS)].join('').match(/<Record /g)?.length);
    expect(done.created).toBeGreaterThan(0);

    const expected = expectedTotals(FIXTURE_OPTIONS);
    const byDate = (f: 'steps' | 'distance' | 'calories') =>
      Object.fromEntries([...expected].map(([d, v]) => [d, v[f]]));
    expect(await dailySums(u.auth, 'steps')).toEqual(byDate('steps'));
    expect(await dailySums(u.auth, 'distance')).toEqual(byDate('distance'));
    expect(await dailySums(u.auth, 'calories')).toEqual(byDate('calories'));
    // One sleep session per night: the Watch's stages, not the iPhone's time in bed.
    const sleep = await t.app.inject({ url: '/health/observations?type=sleep', headers: u.auth });
    const nights = (sleep.json() as { items: { value: number; source: { vendor: string } }[] }).items;
    expect(nights.map((n) => [n.value, n.source.vendor])).toEqual([
      [435, 'apple_health'],
      [435, 'apple_health'],
      [435, 'apple_health'],
    ]);

    // Every mapped type is served by the health API with source apple_health.
    for (const type of [
      'heart_rate',
      'resting_heart_rate',
      'hrv_sdnn',
      'spo2',
      'respiratory_rate',
      'skin_temperature',
      'body_weight',
      'body_fat',
      'height',
      'blood_pressure',
      'blood_glucose',
      'vo2_max',
    ]) {
      const res = await t.app.inject({ url: `/health/observations?type=${type}`, headers: u.auth });
      const items = (res.json() as { items: { source: { vendor: string }; value: number }[] }).items;
      expect(items.length, type).toBeGreaterThan(0);
      expect(new Set(items.map((i) => i.source.vendor)), type).toEqual(new Set(['apple_health']));
    }
    const weight = await t.app.inject({ url: '/health/observations?type=body_weight', headers: u.auth });
    expect((weight.json() as { items: { value: number }[] }).items[0]?.value).toBeCloseTo(
      141.2 * 0.45359237,
      4,
    );
    const glucose = await t.app.inject({ url: '/health/observations?type=blood_glucose', headers: u.auth });
    expect((glucose.json() as { items: { value: number; unit: string }[] }).items[0]).toMatchObject({
      value: 99.0858,
      unit: 'mg/dL',
    });

    // FHIR: HRV SDNN under its own LOINC code; the Observations carry the apple_health tag.
    const hrv = await t.app.inject({
      url: '/fhir/R4/Observation?code=http://loinc.org|80404-7',
      headers: u.auth,
    });
    const entries =
      (hrv.json() as { entry?: { resource: { meta: { tag: { code: string }[] } } }[] }).entry ?? [];
    expect(entries.length).toBe(9);
    expect(entries[0]?.resource.meta.tag).toEqual([expect.objectContaining({ code: 'apple_health' })]);

    // The outbox announced what was created, as a sync does.
    const events = await t.deps.db
      .selectFrom('events')
      .select(['type', 'payload'])
      .where('user_id', '=', u.id)
      .execute();
    const created = events.filter((e) => e.type === 'observations.created');
    const ids = created.flatMap((e) => (e.payload as { ids: string[]; source: string }).ids);
    expect(ids.length).toBe(done.created);
    expect(new Set(created.map((e) => (e.payload as { source: string }).source))).toEqual(
      new Set(['apple_health']),
    );
    // The uploaded file is gone.
    expect(await readdir(join(t.dataDir, 'imports'))).toEqual([]);
  });

  it('re-imports the same export without writing anything', async () => {
    const u = await registerUser(t.app);
    const first = await importRaw(t, u.auth, zip);
    const events = async () =>
      (await t.deps.db.selectFrom('events').select('id').where('user_id', '=', u.id).execute()).length;
    const before = await events();
    const again = await importRaw(t, u.auth, zip);
    expect(again).toMatchObject({ status: 'succeeded', created: 0, updated: 0, unchanged: first.created });
    expect(await events()).toBe(before);
    // Once the store has changed (the first import undone), the same file is read and written again.
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/imports/${first.id}`, headers: u.auth })).statusCode,
    ).toBe(204);
    const restored = await importRaw(t, u.auth, zip);
    expect(restored).toMatchObject({ status: 'succeeded', created: first.created, updated: 0 });
    // A newer export with one more day: only that day is new, nothing already there changes.
    const newer = { ...FIXTURE_OPTIONS, days: 4 };
    const path = join(t.dataDir, 'newer.xml');
    await writeExport(path, newer, { zip: false });
    const third = await importRaw(t, u.auth, await readFile(path), 'application/xml');
    expect(third.updated).toBe(0);
    expect(third.created).toBeGreaterThan(0);
    expect(third.unchanged).toBe(first.created);
    expect(Object.keys(await dailySums(u.auth, 'steps'))).toEqual([
      '2026-11-01',
      '2026-11-02',
      '2026-11-03',
      '2026-11-04',
    ]);
  });

  it('takes the export as the multipart field "file", and names the field when it is another', async () => {
    const u = await registerUser(t.app);
    const form = (field: string) => {
      const boundary = 'x-boundary-42';
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="export.zip"\r\nContent-Type: application/zip\r\n\r\n`;
      return {
        headers: { ...u.auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: Buffer.concat([Buffer.from(head), zip, Buffer.from(`\r\n--${boundary}--\r\n`)]),
      };
    };
    const wrong = await t.app.inject({ method: 'POST', url: '/imports/apple-health', ...form('upload') });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toMatchObject({ errors: [{ field: 'file' }] });
    const res = await t.app.inject({ method: 'POST', url: '/imports/apple-health', ...form('file') });
    expect(res.statusCode, res.body).toBe(202);
    const done = await waitForImport(t, u.auth, (res.json() as { id: string }).id);
    expect(done.status).toBe('succeeded');
    expect(await dailySums(u.auth, 'steps')).toEqual(
      Object.fromEntries([...expectedTotals(FIXTURE_OPTIONS)].map(([d, v]) => [d, v.steps])),
    );
  });

  it('fails a file that is not an export, with the reason, and leaves nothing behind', async () => {
    const u = await registerUser(t.app);
    const cases: [Buffer | string, string, RegExp][] = [
      ['just some text', 'application/octet-stream', /not well-formed|not an Apple Health export/],
      ['<?xml version="1.0"?><Other/>', 'application/xml', /not an Apple Health export: root <Other>/],
      [Buffer.from('PK\u0003\u0004 not really a zip'), 'application/zip', /not a readable zip/],
      // Truncated: the records before the cut would parse, but the import must not keep them.
      [[...exportXml(FIXTURE_OPTIONS)].join('').slice(0, 200_000), 'application/xml', /truncated|unclosed/],
    ];
    for (const [body, type, reason] of cases) {
      const done = await importRaw(t, u.auth, body, type);
      expect(done.status, String(reason)).toBe('failed');
      expect(done.error).toMatch(reason);
      expect(done.created).toBe(0);
    }
    const listed = await t.app.inject({ url: '/health/observations', headers: u.auth });
    expect((listed.json() as { items: unknown[] }).items).toEqual([]);
    expect(await readdir(join(t.dataDir, 'imports'))).toEqual([]);
  });

  it('fails a zip without export.xml', async () => {
    const u = await registerUser(t.app);
    // The fixture's zip with its entry renamed so that nothing in it sniffs as an export.
    const renamed = Buffer.from(zip);
    for (let at = renamed.indexOf('export.xml'); at >= 0; at = renamed.indexOf('export.xml', at + 1))
      renamed.write('export.txt', at);
    const done = await importRaw(t, u.auth, renamed);
    expect(done).toMatchObject({ status: 'failed', error: 'the zip holds no Apple Health export.xml' });
  });

  it('answers 400 without a body, 415 for another media type, 409 while one runs', async () => {
    const u = await registerUser(t.app);
    const none = await t.app.inject({ method: 'POST', url: '/imports/apple-health', headers: u.auth });
    expect(none.statusCode).toBe(400);
    const json = await t.app.inject({
      method: 'POST',
      url: '/imports/apple-health',
      headers: u.auth,
      payload: { file: 'x' },
    });
    expect(json.statusCode).toBe(415);
    await t.deps.db
      .insertInto('imports')
      .values({
        id: crypto.randomUUID(),
        user_id: u.id,
        kind: 'apple_health',
        status: 'running',
        created_at: new Date(),
      })
      .execute();
    const busy = await t.app.inject({
      method: 'POST',
      url: '/imports/apple-health',
      headers: { ...u.auth, 'content-type': 'application/zip' },
      payload: zip,
    });
    expect(busy.statusCode).toBe(409);
    expect(busy.headers['content-type']).toContain('application/problem+json');
    // An import open for more than 6 hours lost its job: it is failed, and a new upload goes ahead.
    await t.deps.db
      .updateTable('imports')
      .set({ created_at: new Date(Date.now() - 7 * 3_600_000) })
      .where('user_id', '=', u.id)
      .execute();
    const next = await t.app.inject({
      method: 'POST',
      url: '/imports/apple-health',
      headers: { ...u.auth, 'content-type': 'application/zip' },
      payload: zip,
    });
    expect(next.statusCode, next.body).toBe(202);
    await waitForImport(t, u.auth, (next.json() as { id: string }).id);
    const list = (await t.app.inject({ url: '/imports', headers: u.auth })).json() as {
      imports: { status: string; error: string | null }[];
    };
    expect(list.imports.map((i) => i.status)).toEqual(['succeeded', 'failed']);
  });

  it('undoes an import: DELETE removes what it created, not what was there before', async () => {
    const u = await registerUser(t.app);
    const first = await importRaw(t, u.auth, zip);
    const newer = { ...FIXTURE_OPTIONS, days: 4 };
    const path = join(t.dataDir, 'newer-undo.xml');
    await writeExport(path, newer, { zip: false });
    const second = await importRaw(t, u.auth, await readFile(path), 'application/xml');
    const del = await t.app.inject({ method: 'DELETE', url: `/imports/${second.id}`, headers: u.auth });
    expect(del.statusCode).toBe(204);
    expect(Object.keys(await dailySums(u.auth, 'steps'))).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    const gone = await t.app.inject({ url: `/imports/${second.id}`, headers: u.auth });
    expect(gone.statusCode).toBe(404);
    const deleted = await t.deps.db
      .selectFrom('events')
      .select('payload')
      .where('user_id', '=', u.id)
      .where('type', '=', 'observations.deleted')
      .execute();
    expect(deleted.flatMap((e) => (e.payload as { ids: string[] }).ids).length).toBe(second.created);
    const list = await t.app.inject({ url: '/imports', headers: u.auth });
    expect((list.json() as { imports: { id: string }[] }).imports.map((i) => i.id)).toEqual([first.id]);
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/imports/${first.id}`, headers: u.auth })).statusCode,
    ).toBe(204);
    expect(await dailySums(u.auth, 'steps')).toEqual({});
  });
});

describe('upload limit', () => {
  let small: Awaited<ReturnType<typeof importTestApp>>;
  beforeAll(async () => {
    small = await importTestApp({ IMPORT_MAX_BYTES: '4096' });
  });
  afterAll(async () => small?.close());

  it('answers 413 beyond IMPORT_MAX_BYTES and keeps no import or file', async () => {
    const u = await registerUser(small.app);
    const res = await small.app.inject({
      method: 'POST',
      url: '/imports/apple-health',
      headers: { ...u.auth, 'content-type': 'application/zip' },
      payload: zip,
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ errors: [{ field: 'file' }] });
    const list = await small.app.inject({ url: '/imports', headers: u.auth });
    expect(list.json()).toEqual({ imports: [] });
    expect(await readdir(join(small.dataDir, 'imports')).catch(() => [])).toEqual([]);
  });
});
