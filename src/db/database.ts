import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { PGliteDialect } from './pglite-dialect.ts';
import { preparingQuery } from './prepared.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

export interface DatabaseOptions {
  /** PostgreSQL server URL; unset means embedded PGlite. */
  url?: string | undefined;
  /** PGlite data directory; unset means in memory (tests). */
  dataDir?: string | undefined;
  /** Schema to use on a server (tests give each file its own). Created when missing. */
  schema?: string | undefined;
  poolSize?: number | undefined;
}

export interface DatabaseHandle {
  db: Db;
  kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

// int8 (counts, sums) as JS numbers: every int8 we read is far below 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
// numeric as number: measurement values are doubles anyway.
pg.types.setTypeParser(1700, (v) => Number.parseFloat(v));

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    const schema = options.schema;
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    // Queries marked by executePrepared run as named statements on each connection (src/db/prepared.ts).
    pool.on('connect', (client) => {
      const c = client as unknown as { query: (...args: unknown[]) => unknown };
      c.query = preparingQuery(c.query.bind(client));
    });
    if (schema) await pool.query(`create schema if not exists "${schema}"`);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const pglite = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
  await pglite.waitReady;
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return { db, kind: 'pglite', close: () => db.destroy() };
}

export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
