import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator, sql } from 'kysely';
import type { Db } from './database.ts';

const migrationsDir = join(import.meta.dirname, 'migrations');

// Numbered files in src/db/migrations, applied in name order.
const provider: MigrationProvider = {
  async getMigrations() {
    const files = (await readdir(migrationsDir)).filter((f) => /^\d{4}_.*\.ts$/.test(f)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      migrations[file.replace(/\.ts$/, '')] = (await import(join(migrationsDir, file))) as Migration;
    }
    return migrations;
  },
};

export async function migrateToLatest(db: Db): Promise<void> {
  await migrate(db, (m) => m.migrateToLatest());
}

/** Applies the migrations up to and including `name` (upgrade tests start from an older schema). */
export async function migrateTo(db: Db, name: string): Promise<void> {
  await migrate(db, (m) => m.migrateTo(name));
}

async function migrate(db: Db, run: (m: Migrator) => Promise<MigrationResultSet>): Promise<void> {
  // NOTE: Kysely looks for its bookkeeping tables in every schema unless told which one
  // (migrator.js #doesTableExist); name ours so databases shared by several schemas work.
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  // NOTE: 0004_sync landed after 0005_audit; databases that already ran 0005 must still get 0004.
  const migrator = new Migrator({
    db,
    provider,
    migrationTableSchema: rows[0]?.schema ?? 'public',
    allowUnorderedMigrations: true,
  });
  const { error, results } = await run(migrator);
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const reason = error instanceof Error ? error.message : String(error ?? 'unknown error');
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${reason}`);
  }
}

// `npm run db:migrate`: apply every pending migration to the configured database; exit 1 on failure.
if (import.meta.main) {
  const { loadConfig } = await import('../config.ts');
  const { openDatabase } = await import('./database.ts');
  try {
    const config = loadConfig(process.env);
    const handle = await openDatabase({
      url: config.databaseUrl,
      dataDir: config.databaseUrl ? undefined : join(config.dataDir, 'pglite'),
    });
    try {
      await migrateToLatest(handle.db);
      process.stdout.write(`migrations applied (${handle.kind})\n`);
    } finally {
      await handle.close();
    }
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
