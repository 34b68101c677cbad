/**
 * The migration from the original backend (PHR-Py), end to end (docs/migrating-from-phr-py.md).
 *
 *   migratePhrPy(deps, { dryRun }) -> { report, written }
 *
 * Per old account, in id order: the account (integer id kept), its Fitbit link, then its FHIR data
 * read page by page from the old server and written page by page through the FHIR store (hash-guarded
 * upserts: a re-run rewrites nothing that did not change, and picks up what did). One person's data
 * is merged in memory before it is written (duplicates resolved the same way on every run), so memory
 * holds at most `concurrency` people's history. A dry run reads and maps everything the same way and
 * writes nothing; its report is the real run's (`written` is the real run's alone).
 */
import type { Condition, Observation } from '@medplum/fhirtypes';
import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/database.ts';
import type { FhirStore, Owner } from '../../fhir/store/fhir.service.ts';
import { userZone } from '../../fhir/zones.ts';
import {
  findTargetUsers,
  moveIdentityPast,
  type PlannedAccount,
  planAccount,
  writeAccount,
  writeFitbitLink,
} from './accounts.ts';
import { type FhirSource, readResources } from './fhir-reader.ts';
import {
  type HistoryContext,
  type Migrated,
  mergeInto,
  prepareConditions,
  prepareHistory,
} from './history.ts';
import type { SourceDb, SourceIntegration } from './source-db.ts';

/** Resources per write transaction. */
const WRITE_BATCH = 2_000;

export interface MigrationDeps {
  db: Db;
  store: FhirStore;
  clock: Clock;
  defaultTimeZone: string;
  source: SourceDb;
  fhir: FhirSource;
  /** Called now and then on long runs (the CLI prints it). */
  progress?: (p: Progress) => void;
  /** Accounts migrated at once (default 4). */
  concurrency?: number;
}

export interface Progress {
  usersDone: number;
  usersTotal: number;
  resources: number;
}

export interface MigrationReport {
  users: {
    migrated: number;
    inactive: number;
    admins: number;
    newPatientIds: number;
    withoutPassword: number;
  };
  fitbitLinks: { needsReconnect: number; inactive: number };
  /** Fitbit history (source fitbit_legacy), by measurement type. */
  observations: Record<string, number>;
  /** Observations the person entered in the app (manual vitals, blood-pressure panels). */
  userObservations: number;
  conditions: number;
  duplicatesMerged: number;
  /** Reason -> how many. */
  skipped: Record<string, number>;
}

export interface WriteCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export async function migratePhrPy(
  deps: MigrationDeps,
  options: { dryRun: boolean },
): Promise<{ report: MigrationReport; written: WriteCounts }> {
  const report: MigrationReport = {
    users: { migrated: 0, inactive: 0, admins: 0, newPatientIds: 0, withoutPassword: 0 },
    fitbitLinks: { needsReconnect: 0, inactive: 0 },
    observations: {},
    userObservations: 0,
    conditions: 0,
    duplicatesMerged: 0,
    skipped: {},
  };
  const written: WriteCounts = { created: 0, updated: 0, unchanged: 0 };
  const users = await deps.source.users();
  const links = new Map<number, SourceIntegration>();
  for (const link of await deps.source.fitbitIntegrations()) links.set(link.user_id, link);

  // Accounts first, all of them, so ids are settled before any data (and before new sign-ups).
  const accounts: PlannedAccount[] = [];
  for (const old of users) {
    const plan = planAccount(old, await findTargetUsers(deps.db, old));
    if ('skip' in plan) {
      add(report.skipped, `account: ${plan.skip}`, 1);
      continue;
    }
    const a = plan.account;
    accounts.push(a);
    report.users.migrated++;
    if (!a.isActive) report.users.inactive++;
    if (a.isAdmin) report.users.admins++;
    if (a.newPatientId) report.users.newPatientIds++;
    if (a.unusablePassword) report.users.withoutPassword++;
    const link = links.get(a.id);
    if (link) report.fitbitLinks[link.is_active ? 'needsReconnect' : 'inactive']++;
    if (!options.dryRun) {
      await deps.db.transaction().execute(async (trx) => {
        await writeAccount(trx, a);
        if (link) await writeFitbitLink(trx, a.id, link, deps.clock.now());
      });
    }
  }
  if (!options.dryRun)
    await moveIdentityPast(
      deps.db,
      users.reduce((max, u) => Math.max(max, u.id), 0),
    );

  let next = 0;
  let done = 0;
  let resources = 0;
  const worker = async () => {
    for (let i = next++; i < accounts.length; i = next++) {
      const a = accounts[i] as PlannedAccount;
      resources += await migrateData(deps, a, report, written, options.dryRun);
      done++;
      deps.progress?.({ usersDone: done, usersTotal: accounts.length, resources });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, deps.concurrency ?? 4) }, worker));
  return { report, written };
}

/** One person's Observations and Conditions; returns how many old resources were read. */
async function migrateData(
  deps: MigrationDeps,
  a: PlannedAccount,
  report: MigrationReport,
  written: WriteCounts,
  dryRun: boolean,
): Promise<number> {
  if (!a.oldPatientId) return 0;
  const zone = userZone(a.timeZone, deps.defaultTimeZone);
  const owner: Owner = { userId: a.id, patientId: a.patientId, zone };
  const ctx: HistoryContext = {
    patientId: a.patientId,
    oldPatientId: a.oldPatientId,
    zone,
    sourceBase: deps.fhir.baseUrl.replace(/\/+$/, ''),
    now: deps.clock.now(),
  };
  let read = 0;
  const skip = (skipped: Record<string, number>) => {
    for (const [k, n] of Object.entries(skipped)) add(report.skipped, k, n);
  };
  const merged = new Map<string, Migrated<Observation | Condition>>();
  for await (const page of readResources<Observation>(deps.fhir, 'Observation', a.oldPatientId)) {
    read += page.length;
    const prepared = prepareHistory(page, ctx);
    skip(prepared.skipped);
    report.duplicatesMerged += mergeInto(merged, prepared.items);
  }
  for await (const page of readResources<Condition>(deps.fhir, 'Condition', a.oldPatientId)) {
    read += page.length;
    const prepared = prepareConditions(page, ctx);
    skip(prepared.skipped);
    report.duplicatesMerged += mergeInto(merged, prepared.items);
  }
  for (const item of merged.values()) {
    if (item.type) add(report.observations, item.type, 1);
    else if (item.resource.resourceType === 'Condition') report.conditions++;
    else report.userObservations++;
  }
  if (dryRun || merged.size === 0) return read;
  const all = [...merged.values()].map((m) => m.resource);
  merged.clear();
  for (let i = 0; i < all.length; i += WRITE_BATCH) {
    const rows = await deps.store.prepareResources(owner, all.slice(i, i + WRITE_BATCH));
    const result = await deps.store.upsertResources({ userId: a.id }, rows);
    written.created += result.created;
    written.updated += result.updated;
    written.unchanged += result.unchanged;
  }
  return read;
}

function add(into: Record<string, number>, key: string, n: number): void {
  into[key] = (into[key] ?? 0) + n;
}

/** The report as lines for a terminal (keys sorted, so a dry run and a real run compare as text). */
export function formatReport(report: MigrationReport): string {
  const lines = [
    `accounts migrated: ${report.users.migrated} (inactive ${report.users.inactive}, admins ${report.users.admins}, ` +
      `new Patient ids ${report.users.newPatientIds}, without a usable password ${report.users.withoutPassword})`,
    `Fitbit links: ${report.fitbitLinks.needsReconnect} to reconnect through Google, ${report.fitbitLinks.inactive} inactive`,
    'Fitbit history (fitbit_legacy) by type:',
    ...sorted(report.observations).map(([k, n]) => `  ${k}: ${n}`),
    `observations entered in the app: ${report.userObservations}`,
    `conditions: ${report.conditions}`,
    `duplicates merged: ${report.duplicatesMerged}`,
    'skipped:',
    ...(Object.keys(report.skipped).length === 0
      ? ['  none']
      : sorted(report.skipped).map(([k, n]) => `  ${k}: ${n}`)),
  ];
  return `${lines.join('\n')}\n`;
}

function sorted(record: Record<string, number>): [string, number][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
