/**
 * The newcomer path: the `<!-- quickstart-test -->` shell blocks of docs/quickstart.md, verbatim,
 * run with bash against `npm start`'s process (demo mode: embedded PostgreSQL and the vendor
 * sandbox, nothing configured).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function quickstartBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/<!-- quickstart-test -->\s*```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let server: ChildProcess | undefined;
let dir: string;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'phr-quickstart-'));
  const [port, sandboxPort] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(port),
    SANDBOX_PORT: String(sandboxPort),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: base,
    DATA_DIR: join(dir, 'data'),
    LOG_LEVEL: 'warn',
    SANDBOX: '1',
  };
  server = spawn(process.execPath, [join(root, 'src/server.ts')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    server!.stdout!.on('data', (chunk: Buffer) => {
      output += String(chunk);
      if (output.includes('PHR backend listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    server!.stderr!.on('data', (chunk: Buffer) => {
      output += String(chunk);
    });
    server!.on('exit', (code) => reject(new Error(`server exited ${code}:\n${output}`)));
  });
}, 90_000);

afterAll(async () => {
  server?.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

describe('docs/quickstart.md', () => {
  it('runs the curl walkthrough verbatim against a fresh demo server', { timeout: 180_000 }, async () => {
    const blocks = quickstartBlocks(await readFile(join(root, 'docs/quickstart.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const script = `set -euo pipefail\n${blocks.join('\n')}`;
    const { stdout } = await promisify(execFile)('bash', ['-c', script], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, BASE: base },
      timeout: 170_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    if (process.env.QUICKSTART_VERBOSE) process.stderr.write(stdout);
    expect(stdout).toContain('"fhir_patient_id"');
    expect(stdout).toContain('status=connected&vendor=fitbit');
    expect(stdout).toContain('status=connected&vendor=withings');
    expect(stdout).toMatch(/"type":"blood_pressure".*"source":\{"vendor":"withings"/);
    expect(stdout).toMatch(/"type":"body_weight".*"buckets":\[\{.*"source":"(withings|fitbit)"/);
    expect(stdout).toContain('"connected":true');
    expect(stdout).toMatch(/"status":"(succeeded|partial)"/);
    expect(stdout).toMatch(/"type":"steps".*"unit":"\/d"/);
    expect(stdout).toMatch(/"type":"heart_rate".*"samples":\[\{"time"/);
    expect(stdout).toMatch(/"bucket":"week".*"buckets":\[\{/);
    expect(stdout).toContain('id,type,status,value,unit');
    const csv = await readFile(join(dir, 'observations.csv'), 'utf8');
    expect(csv.split('\r\n').filter(Boolean).length).toBeGreaterThan(5);
  });
});
