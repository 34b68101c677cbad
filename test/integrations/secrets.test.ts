import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { oauthStateContext } from '../../src/vault/vault.ts';
import { registerUser, type SandboxTestApp, withSandbox } from '../helpers/app.ts';
import { consentWithForm, deliverCallback, startAuthorize } from '../helpers/flow.ts';

// Tokens exist in plaintext only in the vault's hands: never in a row, never in a log line.
let t: SandboxTestApp;
beforeAll(async () => {
  t = await withSandbox();
});
afterAll(async () => t?.close());

async function dumpDatabase(): Promise<string> {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(t.deps.db);
  expect(tables.rows.map((r) => r.table_name)).toEqual(
    expect.arrayContaining(['integrations', 'integration_tokens', 'oauth_states']),
  );
  const parts: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(table_name)} t`.execute(
      t.deps.db,
    );
    parts.push(...rows.rows.map((r) => r.row));
  }
  return parts.join('\n');
}

async function connectUser() {
  const u = await registerUser(t.app);
  const person = t.sandbox.people.createPerson();
  const start = await startAuthorize(t.app, u.auth, person.id);
  const back = await consentWithForm(start.authorization_url, { action: 'allow', personId: person.id });
  await deliverCallback(t.app, back);
  const id = (await t.app.inject({ url: '/integrations/vendors', headers: u.auth })).json().integrations[0]
    .id;
  return { u, id, state: start.state, code: new URL(back).searchParams.get('code') ?? '' };
}

describe('secrets at rest and in logs', () => {
  it('issued tokens, the code, the state and the PKCE verifier appear in no row and no log line', async () => {
    const { u, id, state, code } = await connectUser();
    const first = await t.deps.accessTokens.getAccessToken(id);
    const refreshed = await t.deps.accessTokens.getAccessToken(id, { forceRefresh: true });
    const stored = await t.deps.vault.readTokens(t.deps.db, id);
    const stateHash = createHash('sha256').update(state).digest('base64url');
    const stateRow = await t.deps.db
      .selectFrom('oauth_states')
      .select('code_verifier')
      .where('state_hash', '=', stateHash)
      .executeTakeFirstOrThrow();
    const verifier = t.deps.vault.open(stateRow.code_verifier, oauthStateContext(stateHash)).reveal();
    const secrets = [
      first.accessToken.reveal(),
      refreshed.accessToken.reveal(),
      stored?.refreshToken?.reveal() ?? 'missing-refresh-token',
      state,
      code,
      verifier,
      u.accessToken,
    ];
    for (const s of secrets) expect(s.length).toBeGreaterThan(10);
    // The authorize-by-query path too, so the app's JWT passes through a URL once.
    await t.app.inject({ url: `/integrations/fitbit/authorize?token=${u.accessToken}` });

    const dump = await dumpDatabase();
    expect(dump).toContain(id);
    const logs = t.logs.join('');
    expect(logs.length).toBeGreaterThan(0);
    for (const s of secrets) {
      expect(dump.includes(s), 'database holds a plaintext secret').toBe(false);
      expect(logs.includes(s), 'logs hold a plaintext secret').toBe(false);
    }
  });

  it('tampered or swapped ciphertext is a TOKEN_DECRYPTION_FAILED error, never garbage', async () => {
    const one = await connectUser();
    const two = await connectUser();
    const row = await t.deps.db
      .selectFrom('integration_tokens')
      .select('access_token')
      .where('integration_id', '=', one.id)
      .executeTakeFirstOrThrow();
    const parts = row.access_token.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[body.length - 1] = (body[body.length - 1] ?? 0) ^ 0x01;
    parts[3] = body.toString('base64url');
    await t.deps.db
      .updateTable('integration_tokens')
      .set({ access_token: parts.join('.') })
      .where('integration_id', '=', one.id)
      .execute();
    const tampered = await t.deps.accessTokens.getAccessToken(one.id).catch((e: unknown) => e);
    expect(tampered).toBeInstanceOf(AppError);
    expect((tampered as AppError).code).toBe('TOKEN_DECRYPTION_FAILED');
    expect((tampered as AppError).message).not.toContain(row.access_token);

    // A valid envelope moved to another row fails too: the integration id is associated data.
    await t.deps.db
      .updateTable('integration_tokens')
      .set({ access_token: row.access_token })
      .where('integration_id', '=', two.id)
      .execute();
    const swapped = await t.deps.accessTokens.getAccessToken(two.id).catch((e: unknown) => e);
    expect((swapped as AppError).code).toBe('TOKEN_DECRYPTION_FAILED');

    // Disconnecting still works: the unreadable tokens are deleted.
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/integrations/vendors/${one.id}`,
      headers: one.u.auth,
    });
    expect(del.statusCode).toBe(204);
  });
});
