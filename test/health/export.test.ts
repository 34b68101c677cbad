import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealthService } from '../../src/health/health.service.ts';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';
import { heartRateHour, stepsDays, storeMeasurements, weight } from '../helpers/observations.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const exportOf = (auth: { authorization: string }, query: string) =>
  t.app.inject({ url: `/health/export?${query}`, headers: auth });

describe('GET /health/export', () => {
  it('csv, FHIR NDJSON and a collection Bundle, with the observation filters', async () => {
    const u = await registerUser(t.app);
    await storeMeasurements(t, u.id, [
      ...stepsDays('2026-05-01', 5),
      weight('2026-05-02T07:00:00+02:00', 70.5),
      heartRateHour('2026-05-02T10:00:00+02:00', 65),
    ]);

    const csv = await exportOf(u.auth, 'format=csv&type=steps&start=2026-05-02&end=2026-05-04&sort=date');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="observations.csv"');
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe(
      'id,type,status,value,unit,effective_start,effective_end,date,source_vendor,source_device,code_system,code,sample_count',
    );
    expect(lines.slice(1).map((l) => l.split(',').slice(1, 5).join(' '))).toEqual([
      'steps final 1001 /d',
      'steps final 1002 /d',
    ]);

    const nd = await exportOf(u.auth, 'format=ndjson');
    expect(nd.headers['content-type']).toBe('application/fhir+ndjson');
    const resources = nd.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { resourceType: string; id: string });
    expect(resources).toHaveLength(7);
    expect(resources.every((r) => r.resourceType === 'Observation')).toBe(true);

    const bundle = await exportOf(u.auth, 'format=bundle&type=heart_rate');
    expect(bundle.headers['content-type']).toContain('application/fhir+json');
    const b = bundle.json() as {
      resourceType: string;
      type: string;
      entry: { fullUrl: string; resource: { id: string } }[];
    };
    expect(b).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect(b.entry).toHaveLength(1);
    expect(b.entry[0]!.fullUrl).toBe(`urn:uuid:${b.entry[0]!.resource.id}`);

    const empty = await exportOf(u.auth, 'format=bundle&type=sleep');
    expect(empty.json()).toMatchObject({ resourceType: 'Bundle', entry: [] });
  });

  it('refuses bad formats and filters with 400', async () => {
    const u = await registerUser(t.app);
    for (const q of [
      'format=xml',
      '',
      'format=csv&type=nope',
      'format=csv&limit=10',
      'format=csv&start=2026-02-30',
    ]) {
      expect((await exportOf(u.auth, q)).statusCode, q).toBe(400);
    }
  });

  it('is produced page by page (one keyset query per page) and returns every row', async () => {
    const u = await registerUser(t.app);
    await storeMeasurements(t, u.id, stepsDays('2024-01-01', 100));
    const service = createHealthService({
      db: t.deps.db,
      clock: t.deps.clock,
      defaultTimeZone: 'UTC',
      exportPageSize: 7,
    });
    const out = await service.exportObservations({ userId: u.id }, { format: 'ndjson' });
    const chunks: string[] = [];
    for await (const chunk of out.body) chunks.push(chunk);
    // ndjson writes one chunk per page: 100 rows in pages of 7.
    expect(chunks).toHaveLength(15);
    expect(chunks.every((c) => c.split('\n').length - 1 <= 7)).toBe(true);
    const ids = chunks
      .join('')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: string }).id);
    expect(new Set(ids).size).toBe(100);
  });

  it('streams 50,000 rows in bounded memory', { timeout: 180_000 }, async () => {
    const u = await registerUser(t.app);
    const [template] = await storeMeasurements(t, u.id, [heartRateHour('2020-01-01T00:00:00+00:00', 70)]);
    const rows = 50_000;
    // Copies of one stored heart-rate window, an hour apart (distinct ids and identifiers).
    await sql`
      insert into fhir_resources (resource_type, id, user_id, identifier, type, code, code_system, category,
        effective_start, effective_end, local_date, status, source_vendor, version_id, last_updated, content_hash, resource)
      select resource_type, id || '-' || i, user_id, identifier || '-' || i, type, code, code_system, category,
        effective_start + i * interval '1 hour', effective_end + i * interval '1 hour', local_date, status,
        source_vendor, version_id, last_updated, content_hash, resource
      from fhir_resources, generate_series(1, ${rows - 1}) as i
      where user_id = ${u.id} and id = ${template!.id}
    `.execute(t.deps.db);

    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    // A real collection before each sample, so garbage does not count as growth.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const base = process.memoryUsage().heapUsed;
    let peak = 0;
    let chunks = 0;
    const res = await fetch(`http://127.0.0.1:${port}/health/export?format=ndjson`, { headers: u.auth });
    expect(res.status).toBe(200);
    let bytes = 0;
    let lines = 0;
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength;
      lines += decoder.decode(chunk, { stream: true }).split('\n').length - 1;
      chunks += 1;
      if (chunks % 100 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
    }
    expect(lines).toBe(rows);
    expect(bytes).toBeGreaterThan(50_000_000);
    // Holding the export would take more than its size (80+ MB); streaming keeps about a page.
    expect(chunks).toBeGreaterThan(100);
    expect(peak).toBeLessThan(bytes / 5);
  });
});
