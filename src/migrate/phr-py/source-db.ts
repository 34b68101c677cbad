/**
 * The original backend's PostgreSQL database, read only (docs/migrating-from-phr-py.md).
 *
 *   openSourceDb(url)             -> { users(), fitbitIntegrations(), close() }
 *
 * NOTE: PHR-Py's SQLAlchemy models use `timestamp without time zone` holding UTC (datetime.utcnow);
 * node-postgres would read those as local times, so they are converted in SQL.
 * Nothing of `oauth_tokens` is read: the Fernet-encrypted legacy tokens are worthless (the legacy
 * Fitbit API answers 410) and must not be copied.
 */
import pg from 'pg';

export interface SourceUser {
  id: number;
  name: string | null;
  email: string;
  password_hash: string | null;
  fhir_patient_id: string | null;
  timezone: string | null;
  is_admin: boolean;
  is_active: boolean;
  created_at: Date | null;
}

export interface SourceIntegration {
  user_id: number;
  is_active: boolean;
  vendor_user_id: string | null;
}

export interface SourceDb {
  users(): Promise<SourceUser[]>;
  fitbitIntegrations(): Promise<SourceIntegration[]>;
  close(): Promise<void>;
}

export async function openSourceDb(url: string): Promise<SourceDb> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // Read-only on purpose: the migration never changes the old deployment.
  await client.query('set default_transaction_read_only = on');
  return {
    async users() {
      const { rows } = await client.query<SourceUser>(
        `select id, name, email, password_hash, fhir_patient_id, timezone,
                coalesce(is_admin, false) as is_admin, coalesce(is_active, true) as is_active,
                created_at at time zone 'UTC' as created_at
           from users order by id`,
      );
      return rows;
    },
    async fitbitIntegrations() {
      const { rows } = await client.query<SourceIntegration>(
        `select distinct on (user_id) user_id, coalesce(is_active, false) as is_active, vendor_user_id
           from vendor_integrations where lower(vendor) = 'fitbit'
          order by user_id, is_active desc, id desc`,
      );
      return rows;
    },
    close: () => client.end(),
  };
}
