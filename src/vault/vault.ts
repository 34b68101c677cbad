import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { createKeyring, type Keyring } from './envelope.ts';
import { Secret } from './secret.ts';

// The token vault: the only module that turns stored envelopes into plaintext and back.
// Rows live in `integration_tokens`; each field is sealed with the integration id and the
// column name as associated data. Callers get `Secret`s, which never print.

export interface PlainTokens {
  accessToken: string;
  refreshToken: string | null;
  accessExpiresAt: Date | null;
  refreshExpiresAt: Date | null;
}

export interface VaultTokens {
  integrationId: string;
  userId: number;
  accessToken: Secret;
  refreshToken: Secret | null;
  accessExpiresAt: Date | null;
  refreshExpiresAt: Date | null;
  version: number;
  keyId: string;
}

export interface RotationReport {
  total: number;
  reencrypted: number;
  alreadyCurrent: number;
  failed: number;
  failures: { id: string; reason: string }[];
}

export interface Vault {
  readonly currentKeyId: string;
  /** Inserts or replaces the tokens of an integration; returns the new token_version. */
  saveTokens(db: Db, owner: { userId: number; integrationId: string }, tokens: PlainTokens): Promise<number>;
  /** Replaces the tokens only if nobody wrote since `expectedVersion`; the new version, or undefined. */
  swapTokens(
    db: Db,
    integrationId: string,
    expectedVersion: number,
    tokens: PlainTokens,
  ): Promise<number | undefined>;
  /**
   * Takes the refresh lease of an integration's tokens for `leaseMs` (database time), if the row is
   * still at `expectedVersion` and nobody holds a live lease. The claim id, or undefined. A
   * successful swapTokens or saveTokens ends the lease.
   */
  claimRefresh(
    db: Db,
    integrationId: string,
    expectedVersion: number,
    leaseMs: number,
  ): Promise<string | undefined>;
  /** Gives a lease back early (the refresh failed), if it is still this claim's. */
  releaseRefresh(db: Db, integrationId: string, claim: string): Promise<void>;
  /** Reads and decrypts; `forUpdate` locks the row for the rest of the transaction. */
  readTokens(
    db: Db,
    integrationId: string,
    options?: { forUpdate?: boolean },
  ): Promise<VaultTokens | undefined>;
  deleteTokens(db: Db, userId: number, integrationId: string): Promise<void>;
  /** Seals a value that is not a vendor token (the PKCE verifier) under a caller-chosen context. */
  seal(plaintext: string, context: string): string;
  open(envelope: string, context: string): Secret;
  /** Re-encrypts every stored token with the current key. */
  rotate(db: Db): Promise<RotationReport>;
}

/** The sealing context of a webhook endpoint's signing secret (src/events). */
export const webhookSecretContext = (endpointId: string) => `webhook_endpoints/${endpointId}/secret`;

/** The sealing context of an OAuth state's PKCE verifier. */
export const oauthStateContext = (stateHash: string) => `oauth_states/${stateHash}`;

const errorText = (err: unknown) => (err instanceof Error ? err.message : 'unknown error');

const aad = (integrationId: string, field: 'access_token' | 'refresh_token') =>
  `phr/integration_tokens/${integrationId}/${field}`;

export function createVault(deps: { encryptionKeys: readonly string[]; clock: Clock }): Vault {
  const keyring: Keyring = createKeyring(deps.encryptionKeys);

  function sealRow(integrationId: string, tokens: PlainTokens) {
    return {
      key_id: keyring.currentKeyId,
      access_token: keyring.encrypt(tokens.accessToken, aad(integrationId, 'access_token')),
      refresh_token:
        tokens.refreshToken === null
          ? null
          : keyring.encrypt(tokens.refreshToken, aad(integrationId, 'refresh_token')),
      access_expires_at: tokens.accessExpiresAt,
      refresh_expires_at: tokens.refreshExpiresAt,
      updated_at: deps.clock.now(),
    };
  }

  return {
    currentKeyId: keyring.currentKeyId,

    async saveTokens(db, owner, tokens) {
      const sealed = sealRow(owner.integrationId, tokens);
      const row = await db
        .insertInto('integration_tokens')
        .values({ integration_id: owner.integrationId, user_id: owner.userId, token_version: 1, ...sealed })
        .onConflict((oc) =>
          oc
            .column('integration_id')
            .doUpdateSet({
              ...sealed,
              token_version: sql<number>`integration_tokens.token_version + 1`,
              refresh_claim: null,
              refresh_claimed_until: null,
            })
            .where('integration_tokens.user_id', '=', owner.userId),
        )
        .returning('token_version')
        .executeTakeFirstOrThrow();
      return row.token_version;
    },

    async swapTokens(db, integrationId, expectedVersion, tokens) {
      const row = await db
        .updateTable('integration_tokens')
        .set({
          ...sealRow(integrationId, tokens),
          token_version: expectedVersion + 1,
          refresh_claim: null,
          refresh_claimed_until: null,
        })
        .where('integration_id', '=', integrationId)
        .where('token_version', '=', expectedVersion)
        .returning('token_version')
        .executeTakeFirst();
      return row?.token_version;
    },

    async claimRefresh(db, integrationId, expectedVersion, leaseMs) {
      const claim = randomUUID();
      // Database time on both sides: processes with skewed clocks (or a test's fake clock) agree.
      const row = await db
        .updateTable('integration_tokens')
        .set({
          refresh_claim: claim,
          refresh_claimed_until: sql<Date>`clock_timestamp() + ${leaseMs} * interval '1 millisecond'`,
        })
        .where('integration_id', '=', integrationId)
        .where('token_version', '=', expectedVersion)
        .where((eb) =>
          eb.or([
            eb('refresh_claimed_until', 'is', null),
            eb('refresh_claimed_until', '<', sql<Date>`clock_timestamp()`),
          ]),
        )
        .returning('integration_id')
        .executeTakeFirst();
      return row ? claim : undefined;
    },

    async releaseRefresh(db, integrationId, claim) {
      await db
        .updateTable('integration_tokens')
        .set({ refresh_claim: null, refresh_claimed_until: null })
        .where('integration_id', '=', integrationId)
        .where('refresh_claim', '=', claim)
        .execute();
    },

    async readTokens(db, integrationId, options = {}) {
      let query = db.selectFrom('integration_tokens').selectAll().where('integration_id', '=', integrationId);
      if (options.forUpdate) query = query.forUpdate();
      const row = await query.executeTakeFirst();
      if (!row) return undefined;
      return {
        integrationId,
        userId: row.user_id,
        accessToken: new Secret(keyring.decrypt(row.access_token, aad(integrationId, 'access_token'))),
        refreshToken:
          row.refresh_token === null
            ? null
            : new Secret(keyring.decrypt(row.refresh_token, aad(integrationId, 'refresh_token'))),
        accessExpiresAt: row.access_expires_at,
        refreshExpiresAt: row.refresh_expires_at,
        version: row.token_version,
        keyId: row.key_id,
      };
    },

    async deleteTokens(db, userId, integrationId) {
      await db
        .deleteFrom('integration_tokens')
        .where('user_id', '=', userId)
        .where('integration_id', '=', integrationId)
        .execute();
    },

    seal(plaintext, context) {
      return keyring.encrypt(plaintext, `phr/sealed/${context}`);
    },
    open(envelope, context) {
      return new Secret(keyring.decrypt(envelope, `phr/sealed/${context}`));
    },

    async rotate(db) {
      const report: RotationReport = { total: 0, reencrypted: 0, alreadyCurrent: 0, failed: 0, failures: [] };
      const ids = await db
        .selectFrom('integration_tokens')
        .select('integration_id')
        .orderBy('integration_id')
        .execute();
      for (const { integration_id: id } of ids) {
        report.total += 1;
        try {
          const outcome = await db.transaction().execute(async (trx) => {
            // Locked like a refresh, so a concurrent refresh and the rotation serialize.
            const row = await trx
              .selectFrom('integration_tokens')
              .selectAll()
              .where('integration_id', '=', id)
              .forUpdate()
              .executeTakeFirst();
            if (!row) return 'gone' as const;
            const fields = [row.access_token, row.refresh_token].filter((v): v is string => v !== null);
            if (fields.every((f) => keyring.keyIdOf(f) === keyring.currentKeyId)) return 'current' as const;
            const plain: PlainTokens = {
              accessToken: keyring.decrypt(row.access_token, aad(id, 'access_token')),
              refreshToken:
                row.refresh_token === null
                  ? null
                  : keyring.decrypt(row.refresh_token, aad(id, 'refresh_token')),
              accessExpiresAt: row.access_expires_at,
              refreshExpiresAt: row.refresh_expires_at,
            };
            const { updated_at: _u, ...sealed } = sealRow(id, plain);
            await trx
              .updateTable('integration_tokens')
              .set(sealed)
              .where('integration_id', '=', id)
              .execute();
            return 'reencrypted' as const;
          });
          if (outcome === 'reencrypted') report.reencrypted += 1;
          else if (outcome === 'current') report.alreadyCurrent += 1;
          else report.total -= 1;
        } catch (err) {
          report.failed += 1;
          report.failures.push({ id, reason: errorText(err) });
        }
      }
      // Pending OAuth states hold a sealed PKCE verifier: re-seal those too, so a flow in
      // progress survives the old key being removed afterwards.
      const states = await db
        .selectFrom('oauth_states')
        .select(['state_hash', 'code_verifier'])
        .where('used_at', 'is', null)
        .execute();
      for (const state of states) {
        if (keyring.keyIdOf(state.code_verifier) === keyring.currentKeyId) continue;
        report.total += 1;
        try {
          const context = oauthStateContext(state.state_hash);
          const verifier = keyring.decrypt(state.code_verifier, `phr/sealed/${context}`);
          await db
            .updateTable('oauth_states')
            .set({ code_verifier: keyring.encrypt(verifier, `phr/sealed/${context}`) })
            .where('state_hash', '=', state.state_hash)
            .where('code_verifier', '=', state.code_verifier)
            .execute();
          report.reencrypted += 1;
        } catch (err) {
          report.failed += 1;
          report.failures.push({ id: `oauth_state:${state.state_hash.slice(0, 8)}`, reason: errorText(err) });
        }
      }
      // Webhook endpoints' signing secrets (docs/events.md §3), and a rotated-out one still in its overlap.
      const endpoints = await db
        .selectFrom('webhook_endpoints')
        .select(['id', 'secret', 'previous_secret'])
        .execute();
      for (const endpoint of endpoints) {
        report.total += 1;
        const stale = (envelope: string | null) =>
          envelope !== null && keyring.keyIdOf(envelope) !== keyring.currentKeyId;
        if (!stale(endpoint.secret) && !stale(endpoint.previous_secret)) {
          report.alreadyCurrent += 1;
          continue;
        }
        try {
          const context = `phr/sealed/${webhookSecretContext(endpoint.id)}`;
          const reseal = (envelope: string) =>
            stale(envelope) ? keyring.encrypt(keyring.decrypt(envelope, context), context) : envelope;
          await db
            .updateTable('webhook_endpoints')
            .set({
              secret: reseal(endpoint.secret),
              previous_secret: endpoint.previous_secret === null ? null : reseal(endpoint.previous_secret),
            })
            .where('id', '=', endpoint.id)
            .where('secret', '=', endpoint.secret)
            .execute();
          report.reencrypted += 1;
        } catch (err) {
          report.failed += 1;
          report.failures.push({ id: `webhook_endpoint:${endpoint.id}`, reason: errorText(err) });
        }
      }
      return report;
    },
  };
}
