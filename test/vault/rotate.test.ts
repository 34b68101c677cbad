import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createVault } from '../../src/vault/vault.ts';
import { registerUser, type SandboxTestApp, withSandbox } from '../helpers/app.ts';
import { connectFitbit } from '../helpers/flow.ts';

const run = promisify(execFile);
const newKey = () => randomBytes(32).toString('base64url');

let t: SandboxTestApp;
beforeAll(async () => {
  t = await withSandbox();
});
afterAll(async () => t?.close());

describe('key rotation', () => {
  it('re-encrypts every token with the new key; they stay readable once the old key is gone', async () => {
    const ids: string[] = [];
    const plain = new Map<string, string>();
    for (let i = 0; i < 3; i += 1) {
      const u = await registerUser(t.app);
      await connectFitbit(t.app, u.auth, t.sandbox.people.createPerson().id);
      const id = (await t.app.inject({ url: '/integrations/vendors', headers: u.auth })).json()
        .integrations[0].id;
      ids.push(id);
      plain.set(id, (await t.deps.accessTokens.getAccessToken(id)).accessToken.reveal());
    }
    const oldKey = t.deps.config.encryptionKeys[0]!;
    const nextKey = newKey();
    const rotated = createVault({ encryptionKeys: [nextKey, oldKey], clock: systemClock });
    const report = await rotated.rotate(t.deps.db);
    expect(report).toMatchObject({ failed: 0, alreadyCurrent: 0 });
    expect(report.reencrypted).toBeGreaterThanOrEqual(3);
    const again = await rotated.rotate(t.deps.db);
    expect(again.reencrypted).toBe(0);

    const rows = await t.deps.db
      .selectFrom('integration_tokens')
      .select(['key_id', 'access_token'])
      .execute();
    expect(new Set(rows.map((r) => r.key_id))).toEqual(new Set([rotated.currentKeyId]));
    const onlyNew = createVault({ encryptionKeys: [nextKey], clock: systemClock });
    for (const id of ids) {
      expect((await onlyNew.readTokens(t.deps.db, id))?.accessToken.reveal()).toBe(plain.get(id));
    }
    // The app itself (old key only) can no longer read them: a typed error, not garbage.
    const failure = await t.deps.accessTokens.getAccessToken(ids[0]!).catch((e: unknown) => e);
    expect((failure as { code?: string }).code).toBe('TOKEN_DECRYPTION_FAILED');
  });

  it('`npm run keys:rotate` rotates a database from the environment and prints counts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'phr-rotate-'));
    try {
      const oldKey = newKey();
      const nextKey = newKey();
      const handle = await openDatabase({ dataDir: join(dataDir, 'pglite') });
      await migrateToLatest(handle.db);
      const user = await handle.db
        .insertInto('users')
        .values({
          email: 'r@example.test',
          name: 'r',
          password_hash: null,
          external_subject: null,
          fhir_patient_id: 'p',
          time_zone: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const integrationId = '6f1d2c1e-8f34-4b7e-9b7a-3d1f0b2a9c11';
      await handle.db
        .insertInto('integrations')
        .values({
          id: integrationId,
          user_id: user.id,
          vendor: 'fitbit',
          status: 'connected',
          is_active: true,
          updated_at: new Date(),
        })
        .execute();
      await createVault({ encryptionKeys: [oldKey], clock: systemClock }).saveTokens(
        handle.db,
        { userId: user.id, integrationId },
        {
          accessToken: 'ya29.rotate-me',
          refreshToken: '1//rotate-me',
          accessExpiresAt: null,
          refreshExpiresAt: null,
        },
      );
      await handle.close();

      const env = {
        ...process.env,
        NODE_ENV: 'test',
        DATA_DIR: dataDir,
        DATABASE_URL: '',
        ENCRYPTION_KEY: '',
      };
      const ok = await run(process.execPath, ['src/vault/rotate.ts'], {
        env: { ...env, ENCRYPTION_KEYS: `${nextKey},${oldKey}` },
      });
      expect(ok.stdout).toMatch(/1 checked, 1 re-encrypted, 0 already current, 0 failed/);
      expect(ok.stdout + ok.stderr).not.toContain('rotate-me');
      expect(ok.stdout).not.toContain(nextKey);

      const reopened = await openDatabase({ dataDir: join(dataDir, 'pglite') });
      try {
        const tokens = await createVault({ encryptionKeys: [nextKey], clock: systemClock }).readTokens(
          reopened.db,
          integrationId,
        );
        expect(tokens?.refreshToken?.reveal()).toBe('1//rotate-me');
      } finally {
        await reopened.close();
      }

      // Without the key the tokens were written with, the run fails and says so.
      const failed = await run(process.execPath, ['src/vault/rotate.ts'], {
        env: { ...env, ENCRYPTION_KEYS: newKey() },
      }).catch((e: { code: number; stdout: string }) => e);
      expect((failed as { code: number }).code).toBe(1);
      expect((failed as { stdout: string }).stdout).toMatch(/1 failed/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
