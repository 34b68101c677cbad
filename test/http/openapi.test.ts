import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import openapiTS from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp } from '../helpers/app.ts';

// The OpenAPI document is what client generators read: every operation says what it does, which
// errors it can give (in the media type they come in), and shows an example of what it takes and answers.

interface Media {
  schema?: Record<string, unknown>;
  example?: unknown;
  examples?: unknown;
}
interface Response {
  description?: string;
  content?: Record<string, Media>;
  headers?: Record<string, unknown>;
}
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { in: string; name: string; required?: boolean; schema?: Record<string, unknown> }[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, Response>;
}
interface Document {
  info: { description?: string };
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
}

const RATE_LIMITED = ['post /auth/register', 'post /auth/login', 'post /auth/refresh'];

let t: TestApp;
let doc: Document;
let operations: { name: string; path: string; op: Operation }[];

beforeAll(async () => {
  t = await createTestApp();
  const res = await t.app.inject({ url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  doc = res.json() as Document;
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ name: `${method} ${path}`, path, op })),
  );
});
afterAll(async () => {
  await t.close();
});

const isFhir = (path: string) => path === '/fhir' || path.startsWith('/fhir/');
const hasExample = (m: Media) =>
  m.example !== undefined ||
  m.examples !== undefined ||
  (Array.isArray(m.schema?.examples) && m.schema.examples.length > 0);

function parameter(path: string, method: string, name: string) {
  const found = doc.paths[path]?.[method]?.parameters?.find((p) => p.in === 'query' && p.name === name);
  if (!found) throw new Error(`no ${name} on ${method} ${path}`);
  return found;
}

describe('the OpenAPI document', () => {
  it('gives every operation a summary, a description and one documented tag', () => {
    expect(operations.length).toBeGreaterThan(30);
    const tags = new Map((doc.tags ?? []).map((tag) => [tag.name, tag.description]));
    const missing = operations.flatMap(({ name, op }) => [
      ...(op.summary?.trim() ? [] : [`${name}: summary`]),
      ...(op.description?.trim() ? [] : [`${name}: description`]),
      ...(op.tags?.length === 1 && tags.get(op.tags[0]!) ? [] : [`${name}: one documented tag`]),
    ]);
    expect(missing).toEqual([]);
  });

  it('declares the errors each operation gives, as problem+json, or OperationOutcome under /fhir', () => {
    const missing: string[] = [];
    for (const { name, path, op } of operations) {
      const wanted = isFhir(path) ? 'application/fhir+json' : 'application/problem+json';
      const errors = Object.entries(op.responses).filter(([status]) => Number(status) >= 400);
      const typed = errors.filter(([, r]) => r.content?.[wanted]?.schema);
      if (!typed.some(([status]) => Number(status) < 500)) missing.push(`${name}: a 4xx as ${wanted}`);
      for (const [status, r] of errors) {
        if (name === 'get /readyz' && status === '503') continue; // the readiness body, as for 200
        const types = Object.keys(r.content ?? {});
        if (types.some((type) => type !== wanted)) missing.push(`${name} ${status}: ${types.join(', ')}`);
      }
      const need = (status: string, why: boolean) => {
        if (why && !op.responses[status]?.content?.[wanted]) missing.push(`${name}: ${status}`);
      };
      need('401', (op.security?.length ?? 0) > 0);
      need('400', true); // too many query parameters, on any route
      need('415', op.requestBody !== undefined);
      need('404', (op.security?.length ?? 0) > 0 && /\{\w+\}/.test(path));
      need('429', RATE_LIMITED.includes(name));
      need('500', true);
    }
    expect(missing).toEqual([]);
    // The routes' own specific errors are kept, and those stated for the document only are listed.
    expect(doc.paths['/fhir/Observation']?.post?.responses['422']?.content).toHaveProperty([
      'application/fhir+json',
    ]);
    expect(doc.paths['/auth/me']?.delete?.responses['409']?.content).toHaveProperty([
      'application/problem+json',
    ]);
    const sync = doc.paths['/vendors/{vendor}/sync']?.post?.responses ?? {};
    expect(Object.keys(sync)).toEqual(expect.arrayContaining(['409', '422', '429', '503']));
    expect(doc.paths['/auth/register']?.post?.responses['409']?.content).toHaveProperty([
      'application/problem+json',
    ]);
  });

  it('shows an example of every success answer and of every request body', () => {
    const missing: string[] = [];
    for (const { name, op } of operations) {
      const success = Object.keys(op.responses)
        .filter((s) => s.startsWith('2'))
        .sort()[0];
      if (!success) {
        if (!op.responses['302']) missing.push(`${name}: no success response`);
        continue;
      }
      for (const [type, media] of Object.entries(op.responses[success]?.content ?? {}))
        if (!hasExample(media)) missing.push(`${name} ${success} ${type}`);
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {}))
        if (!hasExample(media)) missing.push(`${name} body ${type}`);
    }
    expect(missing).toEqual([]);
  });

  it('names the media types answers come in, and the Location of redirects', () => {
    const content = (path: string, method: string, status: string) =>
      Object.keys(doc.paths[path]?.[method]?.responses[status]?.content ?? {});
    expect(content('/health/export', 'get', '200')).toEqual(
      expect.arrayContaining(['text/csv', 'application/fhir+ndjson', 'application/fhir+json']),
    );
    expect(content('/integrations/oauth/result', 'get', '200')).toEqual(['text/html']);
    expect(content('/metrics', 'get', '200')).toEqual(['text/plain']);
    for (const { name, path, op } of operations.filter((o) => isFhir(o.path))) {
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
      for (const s of success)
        expect(content(path, name.split(' ')[0]!, s), name).toContain('application/fhir+json');
      if (op.requestBody)
        expect(Object.keys(op.requestBody.content), name).toContain('application/fhir+json');
    }
    for (const [path, method] of [
      ['/integrations/{vendor}/callback', 'get'],
      ['/integrations/{vendor}/authorize', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method]?.responses['302']?.headers, path).toHaveProperty('location');
    }
  });

  it('lists each FHIR operation once, under /fhir, and says /fhir/R4 serves the same', () => {
    const paths = Object.keys(doc.paths);
    expect(paths.filter((p) => p.startsWith('/fhir/R4'))).toEqual([]);
    expect(paths).toEqual(
      expect.arrayContaining(['/fhir/metadata', '/fhir/Observation', '/fhir/Condition/{id}']),
    );
    expect(doc.info.description).toContain('/fhir/R4');
  });

  it('lists the allowed values as enums, and no parameter with a default as required', () => {
    expect(parameter('/health/export', 'get', 'format').schema?.enum).toEqual(['csv', 'ndjson', 'bundle']);
    expect(parameter('/health/observations', 'get', 'sort').schema?.enum).toEqual(['-date', 'date']);
    expect(parameter('/health/export', 'get', 'sort').schema?.enum).toEqual(['-date', 'date']);
    expect(
      (parameter('/health/observations', 'get', 'type').schema?.items as { enum?: string[] } | undefined)
        ?.enum,
    ).toEqual(expect.arrayContaining(['steps', 'heart_rate']));
    expect(parameter('/health/summary', 'get', 'type').schema?.enum).toEqual(
      expect.arrayContaining(['steps', 'heart_rate']),
    );
    expect(parameter('/health/summary', 'get', 'bucket').schema?.enum).toEqual(['day', 'week', 'month']);
    const defaulted = operations.flatMap(({ name, op }) =>
      (op.parameters ?? [])
        .filter((p) => p.schema?.default !== undefined && p.required)
        .map((p) => `${name} ${p.name}`),
    );
    expect(defaulted).toEqual([]);
    expect(parameter('/health/observations', 'get', 'limit').required).toBe(false);
  });

  it('describes the error bodies the app really sends', async () => {
    const ajv = new Ajv({ strict: false });
    const schemaOf = (path: string, method: string, status: string, type: string) => {
      const schema = doc.paths[path]?.[method]?.responses[status]?.content?.[type]?.schema;
      if (!schema) throw new Error(`no ${status} ${type} on ${method} ${path}`);
      return schema;
    };
    const user = await registerUser(t.app);
    const cases = [
      { url: '/health/observations', headers: {}, path: '/health/observations', status: 401 },
      {
        url: '/health/observations?limit=9999',
        headers: user.auth,
        path: '/health/observations',
        status: 400,
      },
      { url: '/fhir/Observation', headers: {}, path: '/fhir/Observation', status: 401 },
      { url: '/fhir/Observation/nope', headers: user.auth, path: '/fhir/Observation/{id}', status: 404 },
    ];
    for (const c of cases) {
      const res = await t.app.inject({ url: c.url, headers: c.headers });
      expect(res.statusCode, c.url).toBe(c.status);
      const type = isFhir(c.path) ? 'application/fhir+json' : 'application/problem+json';
      expect(res.headers['content-type'], c.url).toContain(type);
      const validate = ajv.compile(schemaOf(c.path, 'get', String(c.status), type));
      expect(validate(res.json()), `${c.url}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
    // A body in another media type: the 415 the document promises.
    const refused = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { 'content-type': 'text/plain' },
      payload: 'x',
    });
    expect(refused.statusCode).toBe(415);
    const validate = ajv.compile(schemaOf('/auth/login', 'post', '415', 'application/problem+json'));
    expect(validate(refused.json())).toBe(true);
  });
});

describe('a client generated from the document', () => {
  it('compiles, and a program using it type-checks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'phr-openapi-'));
    try {
      await writeFile(
        join(dir, 'api.ts'),
        await openapiTS(doc as unknown as Parameters<typeof openapiTS>[0]),
      );
      await writeFile(join(dir, 'client.ts'), CLIENT);
      await writeFile(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noEmit: true,
            target: 'es2023',
            module: 'esnext',
            moduleResolution: 'bundler',
            lib: ['es2023', 'dom'],
            types: [],
            allowImportingTsExtensions: true,
            noUncheckedIndexedAccess: true,
            skipLibCheck: false,
          },
          files: ['api.ts', 'client.ts'],
        }),
      );
      const tsc = join(process.cwd(), 'node_modules', '.bin', 'tsc');
      const result = await promisify(execFile)(tsc, ['-p', join(dir, 'tsconfig.json')]).then(
        () => '',
        (e: { stdout?: string; message: string }) => e.stdout || e.message,
      );
      expect(result).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

/** A typed fetch over the generated `paths`: wrong paths, parameters, bodies or fields do not compile. */
const CLIENT = `
import type { paths } from './api.ts';

type Json<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type Problem<R> = R extends { content: { 'application/problem+json': infer B } } ? B : never;

type ObservationsOp = paths['/health/observations']['get'];
type ObservationsQuery = NonNullable<ObservationsOp['parameters']['query']>;
type ObservationsPage = Json<ObservationsOp['responses'][200]>;

type LoginOp = paths['/auth/login']['post'];
type LoginBody = NonNullable<LoginOp['requestBody']>['content']['application/json'];
type Tokens = Json<LoginOp['responses'][200]>;
type LoginRefused = Problem<LoginOp['responses'][401]>;

const base = 'http://localhost:3000';

export async function login(body: LoginBody): Promise<Tokens | LoginRefused> {
  const res = await fetch(\`\${base}/auth/login\`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await res.json()) as Tokens | LoginRefused;
}

export async function observations(token: string, query: ObservationsQuery): Promise<ObservationsPage> {
  const params = new URLSearchParams();
  for (const type of query.type ?? []) params.append('type', type);
  if (query.sort) params.set('sort', query.sort);
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  const res = await fetch(\`\${base}/health/observations?\${params}\`, {
    headers: { authorization: \`Bearer \${token}\` },
  });
  return (await res.json()) as ObservationsPage;
}

export async function firstSteps(): Promise<number | undefined> {
  const answer = await login({ email: 'ada@example.com', password: 'correct horse battery' });
  if (!('access_token' in answer)) {
    const code: string = answer.code;
    const status: number = answer.status;
    throw new Error(\`\${status} \${code}\`);
  }
  const expires: number = answer.expires_in;
  const page = await observations(answer.access_token, { type: ['steps'] });
  const value: number | undefined = page.items[0]?.value;
  const next: string | null = page.next_cursor;
  return expires > 0 && next !== undefined ? value : undefined;
}

// The enums and required fields reach the client.
// @ts-expect-error sort is -date or date
export const badSort: ObservationsQuery = { sort: 'newest' };
// @ts-expect-error type is a list of measurement types
export const badType: ObservationsQuery = { type: ['stepz'] };
// @ts-expect-error password is required
export const noPassword: LoginBody = { email: 'ada@example.com' };
export const noLimit: ObservationsQuery = {};
`;
