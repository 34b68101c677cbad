/**
 * `npm run migrate:phr-py -- --source-database-url ... --source-fhir-url ... [--dry-run]`
 * (docs/migrating-from-phr-py.md). Writes into the database this backend is configured with
 * (DATABASE_URL, else the embedded one in DATA_DIR), after applying its migrations.
 * Exit codes: 0 done, 1 failed, 2 bad arguments.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../../clock.ts';
import { loadConfig } from '../../config.ts';
import { openDatabase } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { createFhirStore } from '../../fhir/store/fhir.service.ts';
import { formatReport, migratePhrPy, type Progress } from './migrate.ts';
import { openSourceDb } from './source-db.ts';

const HELP = `Usage: npm run migrate:phr-py -- [options]

Moves a deployment of the original Python backend (PHR-Py) onto this one: accounts (with their
integer ids and passwords), Fitbit history, app-entered observations and conditions, and each
Fitbit link as a "reconnect through Google" prompt. Re-running updates, never duplicates.

Options:
  --source-database-url URL   the old PostgreSQL database (read only)          [required]
  --source-fhir-url URL       the old FHIR server's base URL (read only)       [required]
  --source-fhir-token TOKEN   bearer token for the old FHIR server (or PHR_PY_FHIR_TOKEN)
  --page-size N               resources per FHIR page (default 1000)
  --concurrency N             accounts migrated at once (default 4)
  --dry-run                   read and map everything, print the report, write nothing
  -h, --help                  this text

The target is this backend's configured database (DATABASE_URL, else the embedded one in DATA_DIR).
`;

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer`);
  return n;
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const config = loadConfig(process.env);
  const handle = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.databaseUrl ? undefined : join(config.dataDir, 'pglite'),
  });
  const source = await openSourceDb(args.sourceDatabaseUrl);
  try {
    await migrateToLatest(handle.db);
    const clock = systemClock;
    const store = createFhirStore({
      db: handle.db,
      clock,
      replicate: Boolean(config.fhirServerUrl),
      defaultTimeZone: config.defaultTimeZone,
    });
    const started = performance.now();
    let lastPrint = 0;
    const progress = (p: Progress) => {
      const now = performance.now();
      if (now - lastPrint < 2_000 && p.usersDone < p.usersTotal) return;
      lastPrint = now;
      const rate = Math.round(p.resources / ((now - started) / 1000));
      process.stderr.write(
        `accounts ${p.usersDone}/${p.usersTotal}, resources read ${p.resources} (${rate}/s)\n`,
      );
    };
    const { report, written } = await migratePhrPy(
      {
        db: handle.db,
        store,
        clock,
        defaultTimeZone: config.defaultTimeZone,
        source,
        fhir: {
          baseUrl: args.sourceFhirUrl,
          token: args.token ?? config.phrPyFhirToken,
          pageSize: args.pageSize,
        },
        progress,
        concurrency: args.concurrency,
      },
      { dryRun: args.dryRun },
    );
    process.stdout.write(args.dryRun ? 'dry run: nothing was written\n' : '');
    process.stdout.write(formatReport(report));
    if (!args.dryRun) {
      process.stdout.write(
        `written: ${written.created} created, ${written.updated} updated, ${written.unchanged} unchanged\n`,
      );
    }
    process.stdout.write(`took ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  } finally {
    await source.close();
    await handle.close();
  }
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'source-database-url': { type: 'string' },
      'source-fhir-url': { type: 'string' },
      'source-fhir-token': { type: 'string' },
      'page-size': { type: 'string' },
      concurrency: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return { help: true } as const;
  const sourceDatabaseUrl = values['source-database-url'];
  const sourceFhirUrl = values['source-fhir-url'];
  if (!sourceDatabaseUrl) throw new UsageError('--source-database-url is required');
  if (!sourceFhirUrl) throw new UsageError('--source-fhir-url is required');
  if (!URL.canParse(sourceFhirUrl)) throw new UsageError('--source-fhir-url must be a URL');
  return {
    help: false,
    sourceDatabaseUrl,
    sourceFhirUrl,
    token: values['source-fhir-token'],
    pageSize: positiveInt(values['page-size'], '--page-size', 1000),
    concurrency: positiveInt(values.concurrency, '--concurrency', 4),
    dryRun: values['dry-run'] ?? false,
  } as const;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      // The message only: a stack or a URL's credentials do not belong on a terminal log.
      process.stderr.write(`migration failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
