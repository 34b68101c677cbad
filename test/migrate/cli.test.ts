/**
 * The `npm run migrate:phr-py` command as an operator runs it: --help, argument errors (exit 2), and
 * a dry run in a child process against an old deployment, reading this backend's configuration
 * (DATABASE_URL on PostgreSQL runs, DATA_DIR's embedded database otherwise).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { isolatedDatabaseUrl, testEnv } from '../helpers/app.ts';
import {
  createOldDatabase,
  oldFitbitObservation,
  postgresAvailable,
  startOldFhirServer,
} from '../helpers/phr-py.ts';

const run = promisify(execFile);
const hasServer = await postgresAvailable();
const CLI = join(import.meta.dirname, '../../src/migrate/phr-py/cli.ts');

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...testEnv(), ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('migrate:phr-py command', () => {
  it('--help explains the options; a missing or unknown one exits 2', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const option of ['--source-database-url', '--source-fhir-url', '--source-fhir-token', '--dry-run'])
      expect(help.stdout).toContain(option);
    const missing = await cli(['--source-fhir-url', 'http://127.0.0.1:1/fhir']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--source-database-url is required');
    expect((await cli(['--bogus'])).code).toBe(2);
  });

  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it.skipIf(!hasServer)(
    'a dry run prints the report and writes nothing into the configured database',
    async () => {
      const old = await createOldDatabase();
      cleanup.push(() => old.drop());
      await old.query(
        `insert into users (id, name, email, password_hash, fhir_patient_id, timezone) values (7, 'Old', 'old@example.test', $1, 'p7', 'UTC')`,
        [bcrypt.hashSync('pw', 4)],
      );
      const fhir = await startOldFhirServer({ token: 'tok' });
      cleanup.push(() => fhir.close());
      fhir.add(
        oldFitbitObservation({
          patientId: 'p7',
          type: 'steps',
          code: '41950-7',
          display: 'Steps',
          value: 100,
          unit: 'steps',
          effective: '2026-10-01T00:00:00',
        }),
      );
      const isolated = await isolatedDatabaseUrl();
      const dataDir = await mkdtemp(join(tmpdir(), 'phrpy-cli-'));
      cleanup.push(async () => {
        await isolated?.drop();
        await rm(dataDir, { recursive: true, force: true });
      });
      const env: Record<string, string> = isolated ? { DATABASE_URL: isolated.url } : { DATA_DIR: dataDir };
      const args = [
        '--source-database-url',
        old.url,
        '--source-fhir-url',
        fhir.url,
        '--source-fhir-token',
        'tok',
      ];
      const dry = await cli([...args, '--dry-run'], env);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain('dry run: nothing was written');
      expect(dry.stdout).toContain('accounts migrated: 1');
      expect(dry.stdout).toContain('  steps: 1');
      expect(dry.stdout).not.toContain('written:');
      const real = await cli(args, env);
      expect(real.code, real.stderr).toBe(0);
      expect(real.stdout).toContain('written: 1 created');
      // The same report both times.
      const report = (out: string) => out.slice(out.indexOf('accounts migrated'), out.indexOf('skipped:'));
      expect(report(real.stdout)).toBe(report(dry.stdout));
    },
  );
});
