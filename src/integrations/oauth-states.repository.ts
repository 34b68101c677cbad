import type { Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { OAuthStatesTable } from './integrations.tables.ts';

export type OAuthStateRow = Selectable<OAuthStatesTable>;

export async function insertOAuthState(
  db: Db,
  userId: number,
  row: {
    stateHash: string;
    vendor: string;
    integrationId: string;
    codeVerifier: string;
    redirectUri: string;
    requestedScopes: string[];
    browserBindingHash: string;
    expiresAt: Date;
    now: Date;
  },
): Promise<void> {
  await db
    .insertInto('oauth_states')
    .values({
      state_hash: row.stateHash,
      user_id: userId,
      vendor: row.vendor,
      integration_id: row.integrationId,
      code_verifier: row.codeVerifier,
      redirect_uri: row.redirectUri,
      requested_scopes: row.requestedScopes,
      browser_binding_hash: row.browserBindingHash,
      expires_at: row.expiresAt,
      created_at: row.now,
    })
    .execute();
}

/** Marks a state used, atomically: only the first caller gets the row back. */
export async function consumeOAuthState(
  db: Db,
  stateHash: string,
  now: Date,
): Promise<OAuthStateRow | undefined> {
  return db
    .updateTable('oauth_states')
    .set({ used_at: now })
    .where('state_hash', '=', stateHash)
    .where('used_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

export async function findOAuthState(db: Db, stateHash: string): Promise<OAuthStateRow | undefined> {
  return db.selectFrom('oauth_states').selectAll().where('state_hash', '=', stateHash).executeTakeFirst();
}

/** Drops states that expired before `before` (used ones are kept until then to recognise replays). */
export async function purgeOAuthStates(db: Db, before: Date): Promise<void> {
  await db.deleteFrom('oauth_states').where('expires_at', '<', before).execute();
}
