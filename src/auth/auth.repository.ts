import type { Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { UsersTable } from '../db/schema.ts';

export type UserRow = Selectable<UsersTable>;

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

/**
 * `keyShare`: also lock the row FOR KEY SHARE until the transaction ends (what a foreign key's check
 * takes): the row can then neither be deleted nor have its id changed meanwhile.
 */
export async function findUserById(
  db: Db,
  id: number,
  options: { keyShare?: boolean } = {},
): Promise<UserRow | undefined> {
  const q = db.selectFrom('users').selectAll().where('id', '=', id);
  return (options.keyShare ? q.forKeyShare() : q).executeTakeFirst();
}

export async function findUserByExternalSubject(db: Db, subject: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('external_subject', '=', subject).executeTakeFirst();
}

export async function insertUser(
  db: Db,
  user: {
    email: string;
    name: string;
    passwordHash: string | null;
    externalSubject: string | null;
    fhirPatientId: string;
  },
): Promise<UserRow | undefined> {
  return db
    .insertInto('users')
    .values({
      email: user.email,
      name: user.name,
      password_hash: user.passwordHash,
      external_subject: user.externalSubject,
      fhir_patient_id: user.fhirPatientId,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Swaps the hash only if it is still the one verified (a concurrent change wins). */
export async function replacePasswordHash(
  db: Db,
  userId: number,
  verified: string,
  next: string,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: next })
    .where('id', '=', userId)
    .where('password_hash', '=', verified)
    .execute();
}

export async function insertRefreshToken(
  db: Db,
  row: { id: string; familyId: string; userId: number; tokenHash: string; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('refresh_tokens')
    .values({
      id: row.id,
      family_id: row.familyId,
      user_id: row.userId,
      token_hash: row.tokenHash,
      expires_at: row.expiresAt,
    })
    .execute();
}

/** Marks a refresh token spent, atomically: only the first caller gets the row back. */
export async function spendRefreshToken(db: Db, tokenHash: string, now: Date) {
  return db
    .updateTable('refresh_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['id', 'family_id', 'user_id'])
    .executeTakeFirst();
}

export async function findRefreshToken(db: Db, tokenHash: string) {
  return db
    .selectFrom('refresh_tokens')
    .select(['id', 'family_id', 'user_id', 'used_at', 'revoked_at'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function revokeFamily(db: Db, userId: number, familyId: string, now: Date): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function revokeAllForUser(db: Db, userId: number, now: Date): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** The owner of session `familyId` while one of its refresh tokens is unrevoked (expiry aside). */
export async function findLiveSessionOwner(db: Db, familyId: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('refresh_tokens')
    .select('user_id')
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return row?.user_id;
}

/** `userId` when the user has any unrevoked refresh token, else undefined. */
export async function findUserWithLiveSession(db: Db, userId: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('refresh_tokens')
    .select('user_id')
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return row?.user_id;
}

/** Remembers that an external identity's account was erased; rows older than `keepSince` go. */
export async function insertErasedIdentity(
  db: Db,
  row: { subjectHash: string; erasedAt: Date; keepSince: Date },
): Promise<void> {
  await db.deleteFrom('erased_identities').where('erased_at', '<', row.keepSince).execute();
  await db
    .insertInto('erased_identities')
    .values({ subject_hash: row.subjectHash, erased_at: row.erasedAt })
    .onConflict((oc) => oc.column('subject_hash').doUpdateSet({ erased_at: row.erasedAt }))
    .execute();
}

/** Whether the identity was erased at or after `issuedAt` (and since `keepSince`). */
export async function wasIdentityErasedSince(
  db: Db,
  subjectHash: string,
  issuedAt: Date,
  keepSince: Date,
): Promise<boolean> {
  const row = await db
    .selectFrom('erased_identities')
    .select('subject_hash')
    .where('subject_hash', '=', subjectHash)
    .where('erased_at', '>=', issuedAt)
    .where('erased_at', '>=', keepSince)
    .executeTakeFirst();
  return row !== undefined;
}

/** users.time_zone; undefined when there is no such user. */
export async function findTimeZone(db: Db, userId: number): Promise<string | null | undefined> {
  const row = await db.selectFrom('users').select('time_zone').where('id', '=', userId).executeTakeFirst();
  return row ? row.time_zone : undefined;
}
