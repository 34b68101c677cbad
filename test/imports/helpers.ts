import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestApp, type TestApp } from '../helpers/app.ts';

export interface ImportBody {
  id: string;
  status: string;
  progress: number;
  records_read: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: Record<string, number>;
  by_type: Record<string, number>;
  error: string | null;
}

/** A test app whose DATA_DIR is a temporary directory (uploads land in DATA_DIR/imports). */
export async function importTestApp(
  env: Record<string, string> = {},
): Promise<TestApp & { dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'phr-import-'));
  const t = await createTestApp({ env: { DATA_DIR: dataDir, ...env } });
  return {
    ...t,
    dataDir,
    async close() {
      await t.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls GET /imports/{id} until the import has finished. */
export async function waitForImport(
  t: TestApp,
  auth: { authorization: string },
  id: string,
  timeoutMs = 30_000,
): Promise<ImportBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.app.inject({ url: `/imports/${id}`, headers: auth });
    const body = res.json() as ImportBody;
    if (body.status === 'succeeded' || body.status === 'failed') return body;
    if (Date.now() > deadline) throw new Error(`import ${id} still ${body.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Uploads `body` as the raw request body and waits for the import to finish. */
export async function importRaw(
  t: TestApp,
  auth: { authorization: string },
  body: Buffer | string,
  contentType = 'application/zip',
): Promise<ImportBody> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/imports/apple-health',
    headers: { ...auth, 'content-type': contentType },
    payload: body,
  });
  if (res.statusCode !== 202) throw new Error(`upload answered ${res.statusCode}: ${res.body}`);
  return waitForImport(t, auth, (res.json() as { id: string }).id);
}
