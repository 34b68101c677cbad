/**
 * An old PHR-Py deployment for the migration tests and bench: its PostgreSQL tables
 * (test/fixtures/phr-py/schema.sql) in a schema of their own on the test server, and its HAPI FHIR
 * server played by a small in-process server with HAPI's paging (`_getpages` links on its own
 * internal host name) and the old resource shapes.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import pg from 'pg';

/** The PostgreSQL server old databases are made on (the test server; PGlite runs use it too). */
export const oldServerUrl =
  process.env.TEST_DATABASE_URL ||
  process.env.PHR_PY_TEST_DATABASE_URL ||
  'postgres://postgres@127.0.0.1:5432/test';

export async function postgresAvailable(url = oldServerUrl): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface OldDatabase {
  url: string;
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  drop(): Promise<void>;
}

export async function createOldDatabase(serverUrl = oldServerUrl): Promise<OldDatabase> {
  const schema = `phrpy_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const url = new URL(serverUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await client.query(`create schema "${schema}"`);
  await client.query(readFileSync(join(import.meta.dirname, '../fixtures/phr-py/schema.sql'), 'utf8'));
  return {
    url: url.toString(),
    query: (text, values) => client.query(text, values),
    async drop() {
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    },
  };
}

export interface OldFhirServer {
  url: string;
  /** Requests served, by path. */
  requests: string[];
  add(...resources: Resource[]): void;
  close(): Promise<void>;
}

/** HAPI answers with links on its own base URL, which need not be reachable from outside. */
const INTERNAL_BASE = 'http://hapi-fhir:8080/fhir';

export async function startOldFhirServer(options: { token?: string } = {}): Promise<OldFhirServer> {
  const byType = new Map<string, Resource[]>();
  const searches = new Map<string, Resource[]>();
  const requests: string[] = [];
  let nextId = 1000;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    requests.push(url.pathname);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/fhir+json;charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      send(401, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login' }] });
      return;
    }
    const count = Number(url.searchParams.get('_count') ?? 20);
    let matches: Resource[] | undefined;
    let offset = 0;
    let searchId: string;
    const pages = url.searchParams.get('_getpages');
    if (pages) {
      matches = searches.get(pages);
      offset = Number(url.searchParams.get('_getpagesoffset') ?? 0);
      searchId = pages;
    } else {
      const type = url.pathname.replace(/^\/fhir\//, '');
      const subject = url.searchParams.get('subject') ?? url.searchParams.get('patient');
      const all = byType.get(type) ?? [];
      matches = all.filter((r) => {
        const ref = (r as { subject?: { reference?: string } }).subject?.reference;
        return !subject || ref === subject || ref === `Patient/${subject}`;
      });
      searchId = randomUUID();
      searches.set(searchId, matches);
    }
    if (!matches) {
      send(410, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
      return;
    }
    const slice = matches.slice(offset, offset + count);
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      total: matches.length,
      link: [
        { relation: 'self', url: `${INTERNAL_BASE}${url.pathname.replace(/^\/fhir/, '')}${url.search}` },
      ],
      entry: slice.map((resource) => ({
        fullUrl: `${INTERNAL_BASE}/${resource.resourceType}/${resource.id}`,
        resource,
        search: { mode: 'match' },
      })),
    };
    if (offset + count < matches.length) {
      bundle.link?.push({
        relation: 'next',
        url: `${INTERNAL_BASE}?_getpages=${searchId}&_getpagesoffset=${offset + count}&_count=${count}&_bundletype=searchset`,
      });
    }
    send(200, bundle);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/fhir`,
    requests,
    add(...resources) {
      for (const r of resources) {
        if (!r.id) r.id = String(nextId++);
        const list = byType.get(r.resourceType) ?? [];
        list.push(r);
        byType.set(r.resourceType, list);
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** An Observation as PHR-Py's fhir_mapper wrote it for Fitbit data (category vital-signs, Fitbit's unit names). */
export function oldFitbitObservation(input: {
  patientId: string;
  type: string;
  code: string;
  display: string;
  value: number;
  unit: string;
  effective: string;
  id?: string;
}): Resource {
  const stamp = input.effective.replace(/[-:T]/g, '').slice(0, 14).padEnd(14, '0');
  return {
    resourceType: 'Observation',
    ...(input.id ? { id: input.id } : {}),
    meta: { versionId: '1', lastUpdated: '2026-10-30T10:00:00.000+00:00' },
    identifier: [
      {
        system: 'https://phr-backend.local/fitbit',
        value: `fitbit-${input.patientId}-${input.type}-${stamp}`,
      },
    ],
    status: 'final',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'vital-signs',
            display: 'Vital Signs',
          },
        ],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: input.code, display: input.display }] },
    subject: { reference: `Patient/${input.patientId}` },
    effectiveDateTime: input.effective,
    valueQuantity: { value: input.value, unit: input.unit },
  } as Resource;
}
