import { hash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { Observation } from '@medplum/fhirtypes';
import Value from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Measurement, toHealthObservation, toObservation } from '../../src/fhir/index.ts';
import { HealthObservationsResponseSchema } from '../../src/health/health.schemas.ts';
import {
  createItemRenderer,
  type RenderableRow,
  type RenderedPage,
} from '../../src/health/rendered-items.ts';
import { createMetrics, registerItemCacheMetrics } from '../../src/ops/metrics.ts';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';
import { heartRateHour, steps, storeMeasurements, weight } from '../helpers/observations.ts';

const ctx = { patientId: 'p-1', now: new Date('2030-01-01T00:00:00Z'), sourceUri: 'https://example.test' };

/** A row as the store keeps it: JSON without id, hashed (src/fhir/store/resource-row.ts). */
function rowOf(obs: Observation): RenderableRow {
  const { id, ...rest } = obs;
  const resource = JSON.stringify(rest);
  return { id: id ?? '', resource, content_hash: hash('sha256', resource, 'base64url') };
}

const sleep: Measurement = {
  type: 'sleep',
  value: 420,
  unit: 'min',
  start: '2026-08-28T23:10:00+02:00',
  end: '2026-08-29T06:40:00+02:00',
  utcOffset: '+02:00',
  localDate: '2026-08-29',
  source: { vendor: 'fitbit', deviceName: 'Pixel Watch 3' },
  vendorKey: 'sleep|1',
  daily: false,
  components: { light: 200, deep: 90, rem: 100, awake: 30 },
};
const measurements: Measurement[] = [
  steps('2026-08-29', 8421, { offset: '+05:30' }),
  heartRateHour('2026-08-29T10:00:00+05:30', 70),
  weight('2026-08-28T07:00:00+05:30', 71.5),
  sleep,
];
const observations = measurements.map((m) => toObservation(m, ctx));
const rows = observations.map(rowOf);
const byId = new Map(rows.map((r) => [r.id, r]));

/** A page's answer: its chunks, in order. */
const bodyOf = (page: RenderedPage) => Buffer.concat(page.chunks('identity'));
/** The same answer gzip-encoded (its parts deflated and kept the first time). */
const gzipOf = (page: RenderedPage) => Buffer.concat(page.chunks('gzip'));

/** A fetch that serves `rows` and records what it was asked for. */
function store(served: Map<string, RenderableRow> = byId) {
  const asked: string[][] = [];
  return {
    asked,
    fetch: async (ids: string[]) => {
      asked.push(ids);
      return ids.flatMap((id) => (served.has(id) ? [served.get(id) as RenderableRow] : []));
    },
  };
}

describe('createItemRenderer', () => {
  it('renders exactly the JSON of the transform, valid against the route schema', async () => {
    const renderer = createItemRenderer({ maxBytes: 1_000_000 });
    const { fetch } = store();
    const page = await renderer.page(rows, fetch, 'abc"d', 50);
    const body = bodyOf(page);
    const { ids } = page;
    const items = observations.map((o) => toHealthObservation(o));
    expect(body.toString()).toBe(JSON.stringify({ items, next_cursor: 'abc"d', limit: 50 }));
    expect(Value.Check(HealthObservationsResponseSchema, JSON.parse(body.toString()))).toBe(true);
    expect(ids).toEqual(rows.map((r) => r.id));
    const empty = await renderer.page([], fetch, null, 10);
    expect(bodyOf(empty).toString()).toBe('{"items":[],"next_cursor":null,"limit":10}');
  });

  it('reads the stored JSON only of items it does not hold', async () => {
    const renderer = createItemRenderer({ maxBytes: 1_000_000 });
    const s = store();
    const first = await renderer.page(rows.slice(0, 2), s.fetch, null, 50);
    const second = await renderer.page(rows, s.fetch, null, 50);
    expect(s.asked).toEqual([rows.slice(0, 2).map((r) => r.id), rows.slice(2).map((r) => r.id)]);
    const items = (b: Buffer) => JSON.parse(b.toString()).items as unknown[];
    expect(items(bodyOf(second)).slice(0, 2)).toEqual(items(bodyOf(first)));
    await renderer.page(rows, s.fetch, null, 50);
    expect(s.asked).toHaveLength(2);
    expect(renderer.stats()).toMatchObject({ entries: rows.length, hits: 2 + 4, misses: 4 });
  });

  it('never serves a changed resource from the cache: its hash differs', async () => {
    const renderer = createItemRenderer({ maxBytes: 1_000_000 });
    await renderer.page(rows, store().fetch, null, 50);
    const changed = rowOf({
      ...(observations[0] as Observation),
      valueQuantity: { value: 9000, unit: '/d', system: 'http://unitsofmeasure.org', code: '/d' },
    });
    const s = store(new Map([[changed.id, changed]]));
    const page = await renderer.page([changed], s.fetch, null, 50);
    expect(s.asked).toEqual([[changed.id]]);
    expect(JSON.parse(bodyOf(page).toString()).items[0].value).toBe(9000);
  });

  it('renders what the fetch returns; leaves out rows deleted since the page query', async () => {
    const renderer = createItemRenderer({ maxBytes: 1_000_000 });
    const gone = new Map(byId);
    gone.delete(rows[1]!.id);
    const page = await renderer.page(rows, store(gone).fetch, null, 50);
    expect(page.ids).toEqual([rows[0]!.id, rows[2]!.id, rows[3]!.id]);
    expect(JSON.parse(bodyOf(page).toString()).items).toHaveLength(3);
  });

  it('leaves out rows this API does not serve, and remembers that too', async () => {
    const renderer = createItemRenderer({ maxBytes: 1_000_000 });
    const panel = rowOf({
      resourceType: 'Observation',
      id: 'bp-1',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '35094-2' }] }, // the app's own panel code
      effectiveDateTime: '2026-08-29T08:00:00+02:00',
    });
    const s = store(new Map([[panel.id, panel]]));
    expect((await renderer.page([panel], s.fetch, null, 5)).ids).toEqual([]);
    expect((await renderer.page([panel], s.fetch, null, 5)).ids).toEqual([]);
    expect(s.asked).toHaveLength(1);
  });

  it('keeps nothing with maxBytes 0, and stays within its budget otherwise', async () => {
    const none = createItemRenderer({ maxBytes: 0 });
    const s = store();
    await none.page(rows, s.fetch, null, 50);
    await none.page(rows, s.fetch, null, 50);
    expect(s.asked).toHaveLength(2);
    expect(none.stats()).toMatchObject({ entries: 0, bytes: 0 });

    const small = createItemRenderer({ maxBytes: 3_000 }); // the heart-rate window alone does not fit
    for (let i = 0; i < 3; i += 1) await small.page(rows, store().fetch, null, 50);
    expect(small.stats().bytes).toBeLessThanOrEqual(3_000);
    expect(small.stats().entries).toBeGreaterThan(0);
    expect(none.stats().evictions).toBe(0);
    const again = await small.page(rows, store().fetch, null, 50);
    expect(again.ids).toEqual(rows.map((r) => r.id));
    const tiny = createItemRenderer({ maxBytes: 1_500 }); // two small items at most: one evicted per page
    for (let i = 0; i < 2; i += 1) await tiny.page(rows, store().fetch, null, 50);
    expect(tiny.stats().bytes).toBeLessThanOrEqual(1_500);
    expect(tiny.stats().evictions).toBeGreaterThan(0);
  });
});

describe('createItemRenderer, gzip', () => {
  const json = (body: Buffer) => gunzipSync(body).toString();

  it('answers the identity JSON gzip-encoded, rendered or held, cached or not', async () => {
    const identity = bodyOf(await createItemRenderer({ maxBytes: 0 }).page(rows, store().fetch, 'c', 50));
    for (const maxBytes of [0, 1_000_000]) {
      const renderer = createItemRenderer({ maxBytes });
      const fresh = await renderer.page(rows, store().fetch, 'c', 50);
      expect(json(gzipOf(fresh))).toBe(identity.toString());
      const held = await renderer.page(rows, store().fetch, 'c', 50);
      expect(json(gzipOf(held))).toBe(identity.toString());
      expect(held.ids).toEqual(rows.map((r) => r.id));
    }
    const empty = await createItemRenderer({ maxBytes: 0 }).page([], store().fetch, null, 10);
    expect(json(gzipOf(empty))).toBe('{"items":[],"next_cursor":null,"limit":10}');
  });

  it('deflates an item once, keeps the part beside it within the budget, and drops it with the item', async () => {
    const renderer = createItemRenderer({ maxBytes: 1_000_000 });
    await renderer.page(rows, store().fetch, null, 50);
    const plain = renderer.stats().bytes;
    gzipOf(await renderer.page(rows, store().fetch, null, 50));
    const withParts = renderer.stats().bytes;
    expect(withParts).toBeGreaterThan(plain);
    gzipOf(await renderer.page(rows, store().fetch, null, 50));
    expect(renderer.stats().bytes).toBe(withParts);

    // A new version replaces item and part: the gzip answer has the new value.
    const changed = rowOf({
      ...(observations[0] as Observation),
      valueQuantity: { value: 9000, unit: '/d', system: 'http://unitsofmeasure.org', code: '/d' },
    });
    const page = await renderer.page([changed], store(new Map([[changed.id, changed]])).fetch, null, 50);
    expect(JSON.parse(json(gzipOf(page))).items[0].value).toBe(9000);

    const small = createItemRenderer({ maxBytes: 3_000 });
    for (let i = 0; i < 3; i += 1) gzipOf(await small.page(rows, store().fetch, null, 50));
    expect(small.stats().bytes).toBeLessThanOrEqual(3_000);
  });
});

describe('health_item_cache_* metrics', () => {
  it('report the cache bytes, lookups and evictions as /metrics reads them', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const small = createItemRenderer({ maxBytes: 1_500 }); // two small items at most
    registerItemCacheMetrics(metrics, small);
    for (let i = 0; i < 3; i += 1) await small.page(rows, store().fetch, null, 50);
    const { bytes, hits, misses, evictions } = small.stats();
    expect(evictions).toBeGreaterThan(0);
    const text = await metrics.registry.metrics();
    expect(text).toContain(`health_item_cache_bytes ${bytes}\n`);
    expect(text).toContain(`health_item_cache_lookups_total{result="hit"} ${hits}\n`);
    expect(text).toContain(`health_item_cache_lookups_total{result="miss"} ${misses}\n`);
    expect(text).toContain(`health_item_cache_evictions_total ${evictions}\n`);
    // Counters, not gauges: a second scrape after more evictions reports the running total.
    await small.page(rows, store().fetch, null, 50);
    expect(await metrics.registry.metrics()).toContain(
      `health_item_cache_evictions_total ${small.stats().evictions}\n`,
    );
  });
});

describe('GET /health/observations through the item cache', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('shows an updated value at once, and sends the answer as JSON', async () => {
    const u = await registerUser(t.app);
    await storeMeasurements(t, u.id, [steps('2026-03-01', 100)]);
    const read = async () => {
      const res = await t.app.inject({ url: '/health/observations?type=steps', headers: u.auth });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      return (res.json() as { items: { value: number }[] }).items.map((i) => i.value);
    };
    expect(await read()).toEqual([100]);
    expect(await read()).toEqual([100]);
    await storeMeasurements(t, u.id, [steps('2026-03-01', 250)]);
    expect(await read()).toEqual([250]);
    // Read 1 rendered it, read 2 found it, read 3 rendered the new version.
    const metrics = (await t.app.inject('/metrics')).body;
    expect(metrics).toMatch(/^health_item_cache_lookups_total\{result="hit"\} 1$/m);
    expect(metrics).toMatch(/^health_item_cache_lookups_total\{result="miss"\} 2$/m);
    expect(metrics).toMatch(/^health_item_cache_bytes [1-9]\d*$/m);
    expect(metrics).toMatch(/^health_item_cache_evictions_total 0$/m);
  });

  it('gzips the answer for clients that accept it, and says it varies with Accept-Encoding', async () => {
    const u = await registerUser(t.app);
    await storeMeasurements(t, u.id, [
      steps('2026-03-01', 100),
      heartRateHour('2026-03-01T10:00:00+01:00', 70),
    ]);
    const read = (acceptEncoding?: string) =>
      t.app.inject({
        url: '/health/observations?limit=1',
        headers: { ...u.auth, ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) },
      });
    const plain = await read();
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('accept-encoding');
    const gzip = await read('gzip, deflate, br');
    expect(gzip.statusCode).toBe(200);
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gzip.headers.vary).toBe('accept-encoding');
    expect(gzip.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(gzip.headers['content-length'])).toBe(gzip.rawPayload.length);
    expect(gunzipSync(gzip.rawPayload).toString()).toBe(plain.body);
    expect((await read('gzip;q=0')).headers['content-encoding']).toBeUndefined();
    // Errors stay plain problem+json.
    const bad = await t.app.inject({
      url: '/health/observations?start=2026-02-30',
      headers: { ...u.auth, 'accept-encoding': 'gzip' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-encoding']).toBeUndefined();
  });
});
