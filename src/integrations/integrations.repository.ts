import { randomUUID } from 'node:crypto';
import { type Selectable, sql, type Updateable } from 'kysely';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import type { IntegrationStatus, IntegrationsTable } from './integrations.tables.ts';

export type IntegrationRow = Selectable<IntegrationsTable>;
export type IntegrationPatch = Omit<
  Updateable<IntegrationsTable>,
  'id' | 'user_id' | 'vendor' | 'created_at'
>;

// Owner-scoped: every function a request reaches takes the user id and filters on it.

export async function findIntegration(
  db: Db,
  userId: number,
  id: string,
): Promise<IntegrationRow | undefined> {
  return db
    .selectFrom('integrations')
    .selectAll()
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function findIntegrationByVendor(
  db: Db,
  userId: number,
  vendor: string,
): Promise<IntegrationRow | undefined> {
  return db
    .selectFrom('integrations')
    .selectAll()
    .where('user_id', '=', userId)
    .where('vendor', '=', vendor)
    .executeTakeFirst();
}

export async function listIntegrations(
  db: Db,
  userId: number,
  options: { activeOnly?: boolean } = {},
): Promise<IntegrationRow[]> {
  let query = db.selectFrom('integrations').selectAll().where('user_id', '=', userId);
  if (options.activeOnly) query = query.where('is_active', '=', true);
  return query.orderBy('created_at').orderBy('id').execute();
}

/** Inserts a new integration; undefined when the user already has one for this vendor. */
async function insertIntegration(
  db: Db,
  userId: number,
  row: { id: string; vendor: string; status: IntegrationStatus; now: Date },
): Promise<IntegrationRow | undefined> {
  return db
    .insertInto('integrations')
    .values({
      id: row.id,
      user_id: userId,
      vendor: row.vendor,
      status: row.status,
      is_active: true,
      created_at: row.now,
      updated_at: row.now,
    })
    .onConflict((oc) => oc.columns(['user_id', 'vendor']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

/**
 * The user's integration with a vendor, made active: created as `pending_authorization`,
 * reactivated from `inactive`, or returned as it is.
 */
export async function ensureActiveIntegration(
  db: Db,
  userId: number,
  vendor: string,
  now: Date,
): Promise<{ row: IntegrationRow; created: boolean }> {
  const inserted = await insertIntegration(db, userId, {
    id: randomUUID(),
    vendor,
    status: 'pending_authorization',
    now,
  });
  if (inserted) return { row: inserted, created: true };
  const existing = await findIntegrationByVendor(db, userId, vendor);
  if (!existing) throw new AppError('CONFLICT', 'Integration changed concurrently; retry');
  if (existing.is_active) return { row: existing, created: false };
  const reactivated = await updateIntegration(db, userId, existing.id, {
    status: 'pending_authorization',
    is_active: true,
    updated_at: now,
  });
  return { row: reactivated ?? existing, created: false };
}

export async function updateIntegration(
  db: Db,
  userId: number,
  id: string,
  patch: IntegrationPatch,
): Promise<IntegrationRow | undefined> {
  return db
    .updateTable('integrations')
    .set(patch)
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

// System-scoped: for jobs and webhooks, which carry an integration id (never a token) and no user.

export async function getIntegration(db: Db, integrationId: string): Promise<IntegrationRow | undefined> {
  return db.selectFrom('integrations').selectAll().where('id', '=', integrationId).executeTakeFirst();
}

/** Sets the status of an integration, optionally only if it is currently in one of `from`. */
export async function setIntegrationStatus(
  db: Db,
  integrationId: string,
  status: IntegrationStatus,
  options: { errorCode?: string | null; from?: IntegrationStatus[]; now: Date },
): Promise<IntegrationRow | undefined> {
  let query = db
    .updateTable('integrations')
    .set({
      status,
      updated_at: options.now,
      ...(options.errorCode !== undefined ? { last_error_code: options.errorCode } : {}),
    })
    .where('id', '=', integrationId);
  if (options.from) query = query.where('status', 'in', options.from);
  return query.returningAll().executeTakeFirst();
}

/** Connected integrations whose next sync is due (or never planned), oldest first. */
export async function listDueIntegrations(db: Db, now: Date, limit = 100): Promise<IntegrationRow[]> {
  return db
    .selectFrom('integrations')
    .selectAll()
    .where('status', '=', 'connected')
    .where('is_active', '=', true)
    .where((eb) => eb.or([eb('next_sync_at', 'is', null), eb('next_sync_at', '<=', now)]))
    .orderBy('next_sync_at', (ob) => ob.asc().nullsFirst())
    .limit(limit)
    .execute();
}

/** Written by the sync engine after a run. */
export async function recordSyncOutcome(
  db: Db,
  integrationId: string,
  outcome: { lastSyncAt: Date; lastSyncStatus: string; nextSyncAt: Date | null; now: Date },
): Promise<void> {
  await db
    .updateTable('integrations')
    .set({
      last_sync_at: outcome.lastSyncAt,
      last_sync_status: outcome.lastSyncStatus,
      next_sync_at: outcome.nextSyncAt,
      updated_at: outcome.now,
    })
    .where('id', '=', integrationId)
    .execute();
}

/** Webhook routing: the active integrations of one vendor account. */
export async function findIntegrationsByVendorUser(
  db: Db,
  vendor: string,
  vendorUserId: string,
): Promise<IntegrationRow[]> {
  return db
    .selectFrom('integrations')
    .selectAll()
    .where('vendor', '=', vendor)
    .where('vendor_user_id', '=', vendorUserId)
    .where('is_active', '=', true)
    .execute();
}

/** Namespaces this module's advisory locks (the first of pg_advisory_xact_lock's two keys). */
const VENDOR_ACCOUNT_LOCK = 0x1a7c;

/** Serializes the linking of one vendor account until the transaction ends. */
export async function lockVendorAccount(trx: Db, vendor: string, vendorUserId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(${VENDOR_ACCOUNT_LOCK}, hashtext(${`${vendor}:${vendorUserId}`}))`.execute(
    trx,
  );
}

/**
 * Whether another user holds an active link to this vendor account: connected, or connected before
 * and now waiting for reauthorization or the vendor. A row reactivated but not yet authorized
 * (`pending_authorization`) still carries its old vendor user id and does not count.
 */
export async function isVendorAccountLinkedElsewhere(
  db: Db,
  userId: number,
  vendor: string,
  vendorUserId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('integrations')
    .select('id')
    .where('vendor', '=', vendor)
    .where('vendor_user_id', '=', vendorUserId)
    .where('is_active', '=', true)
    .where('status', '<>', 'pending_authorization')
    .where('user_id', '<>', userId)
    .executeTakeFirst();
  return row !== undefined;
}
