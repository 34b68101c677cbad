/**
 * Notices for the person (docs/events.md §7): raised and resolved inside the transaction that
 * writes the event causing them, read and dismissed through GET /notices and POST /notices/{id}/dismiss.
 *
 *   onNeedsReauth(trx, integration, code, now)          -> `integration.needs_reauth` (one unresolved per integration)
 *   onConnectionChanged(trx, integrationId, now)         -> every notice of it resolved (connected again, disconnected)
 *   onSyncFinished(trx, integration, status, errors, now) -> `sync.failing` after FAILING_AFTER failed runs in a row;
 *                                                          (not while it needs reauthorization); resolved by a
 *                                                          run that succeeds (or is partial)
 *   createNoticesService({ db, clock })                  -> list(principal), dismiss(principal, id)
 */
import type { Principal } from '../auth/auth.service.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import type { SyncError } from '../sync/sync.tables.ts';
import * as repo from './notices.repository.ts';
import type { NoticeKind } from './notices.tables.ts';

/**
 * A run that fails now and then (a vendor's short outage, retried by the next scheduled sync) is not
 * worth a notice; three finished runs in a row that all failed (three hours at the default interval)
 * are.
 */
export const FAILING_AFTER = 3;

interface IntegrationRef {
  id: string;
  user_id: number;
  vendor: string;
}

const VENDOR_NAMES: Readonly<Record<string, string>> = { fitbit: 'Fitbit', withings: 'Withings' };
const vendorName = (vendor: string) => VENDOR_NAMES[vendor] ?? vendor;

/** The code of an integration imported from the original backend, whose Fitbit link died with the legacy API. */
export const FITBIT_MOVED_CODE = 'FITBIT_MOVED_TO_GOOGLE';
export const FITBIT_MOVED_MESSAGE = 'Fitbit moved to Google: reconnect to continue';
const LEGACY_MISMATCH_CODE = 'LEGACY_ACCOUNT_MISMATCH';

export function needsReauthMessage(vendor: string, code: string): string {
  if (code === FITBIT_MOVED_CODE) return FITBIT_MOVED_MESSAGE;
  if (code === 'ACCOUNT_NOT_LINKED')
    return `${vendorName(vendor)}: the account has no Google Health profile yet; set it up, then connect again`;
  return `${vendorName(vendor)} access was revoked or expired: connect again`;
}

export function syncFailingMessage(vendor: string, errors: SyncError[]): string {
  const cause = errors[0]?.message;
  return `The last ${FAILING_AFTER} syncs of ${vendorName(vendor)} failed${cause ? `: ${cause}` : ''}`;
}

export async function onNeedsReauth(
  trx: Db,
  integration: IntegrationRef,
  code: string,
  now: Date,
): Promise<void> {
  await repo.raiseNotice(trx, {
    user_id: integration.user_id,
    kind: 'integration.needs_reauth',
    integration_id: integration.id,
    vendor: integration.vendor,
    code,
    message: needsReauthMessage(integration.vendor, code),
    created_at: now,
  });
}

const ALL_KINDS: readonly NoticeKind[] = [
  'integration.needs_reauth',
  'sync.failing',
  'integration.legacy_mismatch',
];

/**
 * After a reconnect through Google whose identity names another legacy Fitbit account than the one
 * whose history was imported: the person is told (the history stays, under its own source).
 */
export async function onLegacyMismatch(trx: Db, integration: IntegrationRef, now: Date): Promise<void> {
  await repo.raiseNotice(trx, {
    user_id: integration.user_id,
    kind: 'integration.legacy_mismatch',
    integration_id: integration.id,
    vendor: integration.vendor,
    code: LEGACY_MISMATCH_CODE,
    message:
      'A different Fitbit account was connected than the one your earlier Fitbit history came from; ' +
      'if that was a mistake, disconnect and connect with the earlier account',
    created_at: now,
  });
}

export async function onConnectionChanged(trx: Db, integrationId: string, now: Date): Promise<void> {
  await repo.resolveNotices(trx, integrationId, ALL_KINDS, now);
}

/** Call after the run item is marked finished in `trx`, so it counts among the latest runs. */
export async function onSyncFinished(
  trx: Db,
  integration: IntegrationRef,
  status: string,
  errors: SyncError[],
  now: Date,
): Promise<void> {
  if (status !== 'failed') {
    await repo.resolveNotices(trx, integration.id, ['sync.failing'], now);
    return;
  }
  const latest = await repo.lastFinishedStatuses(trx, integration.id, FAILING_AFTER);
  if (latest.length < FAILING_AFTER || latest.some((s) => s !== 'failed')) return;
  // A revoked grant already has its notice, which says what to do; its failed runs add nothing.
  if (await repo.hasUnresolved(trx, integration.id, 'integration.needs_reauth')) return;
  await repo.raiseNotice(trx, {
    user_id: integration.user_id,
    kind: 'sync.failing',
    integration_id: integration.id,
    vendor: integration.vendor,
    code: errors[0]?.code ?? 'SYNC_FAILED',
    message: syncFailingMessage(integration.vendor, errors),
    created_at: now,
  });
}

export interface NoticeView {
  id: string;
  kind: NoticeKind;
  vendor: string;
  integration_id: string;
  code: string;
  message: string;
  created_at: string;
}

export type NoticesService = ReturnType<typeof createNoticesService>;

export function createNoticesService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  return {
    async list(principal: Principal): Promise<{ notices: NoticeView[] }> {
      const rows = await repo.listOpen(db, principal.userId);
      return { notices: rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() })) };
    },

    async dismiss(principal: Principal, id: string): Promise<void> {
      if (!(await repo.dismissNotice(db, principal.userId, id, clock.now())))
        throw new AppError('NOT_FOUND', 'Notice not found');
    },
  };
}
