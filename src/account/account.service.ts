/**
 * Erasure (`DELETE /auth/me`, docs/api.md "Accounts"):
 * 1. revoke every vendor grant at the vendor (best effort, outside the transaction: network calls)
 *    and delete the stored vendor tokens;
 * 2. in one transaction: the FHIR store's resources (with mirrored deletions queued for the
 *    external FHIR server when one is configured), pending outbox puts, the audit trail, OAuth
 *    states, tokens, integrations, refresh tokens (so every access token of the account answers 401:
 *    src/auth/sessions.ts), the person's events and webhook endpoints, and the account itself;
 *    then one `account.deleted` event, owned by no account (docs/events.md): the last one that
 *    names them;
 * 3. an anonymized erasure record in the same transaction: action, time, request id and counts;
 *    no user id, no IP, no resource ids.
 *
 * With replication on, the queued deletions carry the resource ids and identifiers until the
 * external server has them, then the outbox rows are gone too (docs/integration.md).
 */

import type { Audit } from '../audit/audit.service.ts';
import type { Principal } from '../auth/auth.service.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { insertEvents } from '../events/events.repository.ts';
import type { Log } from '../log.ts';
import { deleteAccountRows, deleteOutboxRows, deleteUserRow, lockUserRow } from './account.repository.ts';

export interface AccountServiceDeps {
  db: Db;
  clock: Clock;
  log: Log;
  audit: Audit;
  /** Revokes each grant at its vendor and deletes the stored tokens (integrations service). */
  revokeGrants(userId: number): Promise<{ integrations: number; revoked: number }>;
  /** Deletes every FHIR resource of the user; queues mirrored deletions when replicating (FHIR store). */
  eraseResources(principal: Principal, options: { db: Db }): Promise<number>;
  replicating: boolean;
  /** In the erasure's transaction, before the account row goes: keeps its external identity refused. */
  rememberErasure?: (db: Db, userId: number) => Promise<void>;
  /** After the commit: ends the account's sessions and wakes the replication poller. */
  afterErase?: (userId: number) => void;
}

export type AccountService = ReturnType<typeof createAccountService>;

export function createAccountService(deps: AccountServiceDeps) {
  const { db, log, audit } = deps;
  return {
    async erase(principal: Principal, context: { requestId: string }): Promise<void> {
      const exists = await db
        .selectFrom('users')
        .select('id')
        .where('id', '=', principal.userId)
        .executeTakeFirst();
      if (!exists) throw new AppError('UNAUTHENTICATED', 'Account no longer exists');
      const grants = await deps.revokeGrants(principal.userId);
      const counts = await withDeadlockRetry(() =>
        db.transaction().execute(async (trx) => {
          if (!(await lockUserRow(trx, principal.userId)))
            throw new AppError('CONFLICT', 'Account already erased');
          const resources = await deps.eraseResources(principal, { db: trx });
          await deleteOutboxRows(trx, principal.userId, deps.replicating);
          const auditEvents = await audit.forgetUser(trx, principal.userId);
          const { integrations } = await deleteAccountRows(trx, principal.userId);
          await deps.rememberErasure?.(trx, principal.userId);
          if (!(await deleteUserRow(trx, principal.userId)))
            throw new AppError('CONFLICT', 'Account already erased');
          const deleted = { type: 'account.deleted' as const, payload: { user_id: principal.userId } };
          await insertEvents(trx, null, [deleted], deps.clock.now());
          const detail = {
            resources,
            integrations,
            grants_revoked: grants.revoked,
            audit_events: auditEvents,
          };
          await audit.recordNow(trx, {
            user_id: null,
            actor_user_id: null,
            action: 'account.erase',
            resource_type: 'Patient',
            resource_ids: [],
            detail,
            request_id: context.requestId,
          });
          return detail;
        }),
      );
      deps.afterErase?.(principal.userId);
      log.info({ ...counts, mirrored: deps.replicating }, 'account erased');
    },
  };
}

/**
 * NOTE: the user-row lock orders erasure after a committing sync, but a sync can still take its
 * locks in another order (integration row first); PostgreSQL then aborts one side with 40P01.
 * Erasure is all-or-nothing, so it simply runs again.
 */
async function withDeadlockRetry<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i += 1) {
    try {
      return await run();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (i >= attempts || (code !== '40P01' && code !== '40001')) throw err;
    }
  }
}
