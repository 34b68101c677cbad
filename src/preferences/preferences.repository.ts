/**
 * user_preferences (migration 0020), always by owner.
 *
 *   findPreferences(db, userId)          -> the row, or undefined (the defaults apply)
 *   upsertPreferences(db, userId, set)   -> the row after the change (created on first write)
 */
import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { UserPreferencesTable } from './preferences.tables.ts';

export type PreferencesRow = Selectable<UserPreferencesTable>;
export type PreferencesChange = Partial<Omit<Insertable<UserPreferencesTable>, 'user_id' | 'updated_at'>>;

export async function findPreferences(db: Db, userId: number): Promise<PreferencesRow | undefined> {
  return db.selectFrom('user_preferences').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

export async function upsertPreferences(
  db: Db,
  userId: number,
  change: PreferencesChange,
  now: Date,
): Promise<PreferencesRow> {
  return db
    .insertInto('user_preferences')
    .values({ ...change, user_id: userId, updated_at: now })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ ...change, updated_at: now }))
    .returningAll()
    .executeTakeFirstOrThrow();
}
