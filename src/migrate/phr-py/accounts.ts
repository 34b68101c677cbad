/**
 * Accounts of the original backend -> ours (docs/migrating-from-phr-py.md "Accounts").
 *
 *   planAccount(old, target, defaultZone) -> { account } | { skip: reason }   (pure decision, reads done before)
 *   writeAccount(db, account)             -> insert with the old integer id, or update an earlier run's row
 *   moveIdentityPast(db, oldMax)          -> the users.id sequence past the highest id here and in the old
 *                                            database (new sign-ups never take an old id, even a skipped one)
 *   writeFitbitLink(db, userId, old, now) -> our `fitbit` integration in needs_reauth (or as it is, once reconnected)
 *
 * An account is ours to update on a re-run when it has the same id and the same Patient id (which
 * the migration derives deterministically); any other holder of the id, email or Patient id wins
 * and the old account is skipped with the reason.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { isBcryptHash } from '../../auth/passwords.ts';
import type { Db } from '../../db/database.ts';
import { uuidV5 } from '../../fhir/ids.ts';
import { isValidZone } from '../../fhir/zones.ts';
import { FITBIT_MOVED_CODE, onNeedsReauth } from '../../notices/notices.service.ts';
import type { SourceIntegration, SourceUser } from './source-db.ts';

export interface PlannedAccount {
  id: number;
  email: string;
  name: string;
  passwordHash: string | null;
  patientId: string;
  /** The Patient id the old FHIR server files this person's data under (null: none). */
  oldPatientId: string | null;
  timeZone: string | null;
  isActive: boolean;
  isAdmin: boolean;
  createdAt: Date | null;
  /** Their old Patient id was not a valid FHIR id (or missing): a new one was derived. */
  newPatientId: boolean;
  /** The old hash was not bcrypt: the person cannot sign in with a password. */
  unusablePassword: boolean;
}

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

export function patientIdFor(old: Pick<SourceUser, 'id' | 'fhir_patient_id'>): string {
  const kept = old.fhir_patient_id?.trim();
  return kept && FHIR_ID.test(kept) ? kept : uuidV5(`phr-py|Patient|${old.id}`);
}

export function planAccount(
  old: SourceUser,
  target: {
    byId?: TargetUser | undefined;
    byEmail?: TargetUser | undefined;
    byPatient?: TargetUser | undefined;
  },
): { account: PlannedAccount } | { skip: string } {
  const email = old.email?.trim().toLowerCase();
  if (!email) return { skip: 'account without email' };
  if (!Number.isSafeInteger(old.id) || old.id <= 0) return { skip: 'account id is not a positive integer' };
  const patientId = patientIdFor(old);
  if (target.byId && target.byId.fhir_patient_id !== patientId)
    return { skip: 'account id already in use here' };
  if (target.byEmail && target.byEmail.id !== old.id) return { skip: 'email already in use here' };
  if (target.byPatient && target.byPatient.id !== old.id) return { skip: 'Patient id already in use here' };
  const hash = old.password_hash && isBcryptHash(old.password_hash) ? old.password_hash : null;
  const zone = old.timezone?.trim();
  return {
    account: {
      id: old.id,
      email,
      name: old.name?.trim() || email.split('@')[0] || email,
      passwordHash: hash,
      patientId,
      oldPatientId: old.fhir_patient_id?.trim() || null,
      timeZone: zone && isValidZone(zone) ? zone : null,
      isActive: old.is_active,
      isAdmin: old.is_admin,
      createdAt: old.created_at,
      newPatientId: patientId !== old.fhir_patient_id?.trim(),
      unusablePassword: hash === null,
    },
  };
}

export interface TargetUser {
  id: number;
  email: string;
  fhir_patient_id: string;
}

/** The target rows that could clash with an old account (by id, email or Patient id). */
export async function findTargetUsers(db: Db, old: SourceUser) {
  const email = old.email?.trim().toLowerCase() ?? '';
  const rows = await db
    .selectFrom('users')
    .select(['id', 'email', 'fhir_patient_id'])
    .where((eb) =>
      eb.or([eb('id', '=', old.id), eb('email', '=', email), eb('fhir_patient_id', '=', patientIdFor(old))]),
    )
    .execute();
  return {
    byId: rows.find((r) => r.id === old.id),
    byEmail: rows.find((r) => r.email === email),
    byPatient: rows.find((r) => r.fhir_patient_id === patientIdFor(old)),
  };
}

/** Ours is still the imported bcrypt hash (or none): the person has not signed in here yet. */
const notSignedInHere = sql`(users.password_hash is null or users.password_hash like '$2_$%')`;

export async function writeAccount(db: Db, a: PlannedAccount): Promise<void> {
  // NOTE: users.id is GENERATED ALWAYS AS IDENTITY: keeping the PHR-App's cached integer id needs
  // OVERRIDING SYSTEM VALUE. The password, name and time zone follow the old database only while
  // ours is still an imported (or no) hash: a person who signed in since has our scrypt hash, and
  // from then on this backend owns what they (or their reconnected sync) changed; a re-run must not undo it.
  await sql`
    insert into users (id, email, name, password_hash, fhir_patient_id, time_zone, is_active, is_admin, created_at)
    overriding system value
    values (${a.id}, ${a.email}, ${a.name}, ${a.passwordHash}, ${a.patientId}, ${a.timeZone},
            ${a.isActive}, ${a.isAdmin}, ${a.createdAt ?? sql`now()`})
    on conflict (id) do update set
      email = excluded.email,
      name = case when ${notSignedInHere} then excluded.name else users.name end,
      time_zone = case when ${notSignedInHere} then excluded.time_zone else users.time_zone end,
      is_active = excluded.is_active,
      is_admin = excluded.is_admin,
      created_at = excluded.created_at,
      password_hash = case when ${notSignedInHere} then excluded.password_hash else users.password_hash end
    where users.fhir_patient_id = excluded.fhir_patient_id`.execute(db);
}

export async function moveIdentityPast(db: Db, oldMax: number): Promise<void> {
  await sql`select setval(pg_get_serial_sequence('users', 'id'),
    greatest((select max(id) from users), ${oldMax}::integer, (select last_value from users_id_seq), 1))`.execute(
    db,
  );
}

/**
 * The old Fitbit link as ours: an active one needs a reconnect through Google (with its notice), an
 * inactive one stays disconnected; both keep the legacy user id. A link the person already
 * reconnected (after an earlier run) keeps its state; only the imported legacy id is recorded.
 */
export async function writeFitbitLink(
  db: Db,
  userId: number,
  old: SourceIntegration,
  now: Date,
): Promise<void> {
  const legacyId = old.vendor_user_id?.trim() || null;
  const existing = await db
    .selectFrom('integrations')
    .selectAll()
    .where('user_id', '=', userId)
    .where('vendor', '=', 'fitbit')
    .executeTakeFirst();
  if (existing) {
    if (existing.imported_legacy_user_id !== legacyId) {
      await db
        .updateTable('integrations')
        .set({ imported_legacy_user_id: legacyId, updated_at: now })
        .where('id', '=', existing.id)
        .execute();
    }
    return;
  }
  const row = await db
    .insertInto('integrations')
    .values({
      id: randomUUID(),
      user_id: userId,
      vendor: 'fitbit',
      status: old.is_active ? 'needs_reauth' : 'inactive',
      is_active: old.is_active,
      vendor_user_id: null,
      legacy_vendor_user_id: legacyId,
      imported_legacy_user_id: legacyId,
      last_error_code: old.is_active ? FITBIT_MOVED_CODE : null,
      // NOTE: the old last_sync_at is not kept: it dates a sync of the retired API, and a null one
      // here means "never synced", which makes the first sync after the reconnect a backfill.
      updated_at: now,
    })
    .returning(['id', 'user_id', 'vendor'])
    .executeTakeFirstOrThrow();
  if (old.is_active) await onNeedsReauth(db, row, FITBIT_MOVED_CODE, now);
}
