import type { ColumnType, Generated } from 'kysely';
import type { AuditTables } from '../audit/audit.tables.ts';
import type { EventTables } from '../events/events.tables.ts';
import type { FhirTables } from '../fhir/store/fhir.tables.ts';
import type { HealthTables } from '../health/health.tables.ts';
import type { ImportTables } from '../imports/imports.tables.ts';
import type { IntegrationTables } from '../integrations/integrations.tables.ts';
import type { NoticeTables } from '../notices/notices.tables.ts';
import type { PreferenceTables } from '../preferences/preferences.tables.ts';
import type { SyncTables } from '../sync/sync.tables.ts';

// One Database type: each feature declares its tables in its own file and they meet here.
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface UsersTable {
  id: Generated<number>;
  email: string;
  name: string;
  password_hash: string | null;
  /** `iss|sub` of an external identity provider, for users who sign in there. */
  external_subject: string | null;
  fhir_patient_id: string;
  time_zone: string | null;
  created_at: Generated<Date>;
  /** false: the account cannot sign in (kept from an imported account, migration 0019). */
  is_active: Generated<boolean>;
  /** An imported account's admin mark: recorded, grants nothing. */
  is_admin: Generated<boolean>;
}

export interface RefreshTokensTable {
  id: string;
  family_id: string;
  user_id: number;
  token_hash: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
  created_at: Generated<Date>;
}

/** An erased account's external identity (hashed `iss|sub`), so its older tokens stay refused. */
export interface ErasedIdentitiesTable {
  subject_hash: string;
  erased_at: Date;
}

export interface FoundationTables {
  users: UsersTable;
  refresh_tokens: RefreshTokensTable;
  erased_identities: ErasedIdentitiesTable;
}

export interface Database
  extends FoundationTables,
    IntegrationTables,
    FhirTables,
    HealthTables,
    AuditTables,
    SyncTables,
    EventTables,
    NoticeTables,
    ImportTables,
    PreferenceTables {}
