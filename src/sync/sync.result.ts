/**
 * Stored run + items -> the API's SyncResult (docs/api.md): the run's status is derived from
 * its items (queued | running | succeeded | partial | failed).
 */

import type { SyncItemRow, SyncRunRow } from './sync.repository.ts';
import type { SyncError } from './sync.tables.ts';
import { syncProgress } from './sync-progress.ts';

export type SyncStatus = 'queued' | 'running' | 'succeeded' | 'partial' | 'failed';

export interface SyncIntegrationResult {
  vendor: string;
  status: SyncStatus;
  window: { start: string | null; end: string | null };
  requests: number;
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  errors: SyncError[];
  /** From the stored plan: data types finished and local days read, of those planned (null before planning). */
  progress: { types_done: number; types_total: number; days_done: number; days_total: number } | null;
}

export interface SyncResult {
  sync_id: string;
  status: SyncStatus;
  /** What started the run: manual, scheduled, webhook or backfill (the first sync of a connection). */
  trigger: string;
  started_at: string;
  finished_at: string | null;
  integrations: SyncIntegrationResult[];
}

export function toSyncResult(run: SyncRunRow, items: SyncItemRow[]): SyncResult {
  const statuses = items.map((i) => i.status as SyncStatus);
  const done = items.every((i) => i.finished_at !== null);
  let status: SyncStatus;
  if (!done) status = statuses.every((s) => s === 'queued') ? 'queued' : 'running';
  else if (statuses.every((s) => s === 'succeeded')) status = 'succeeded';
  else if (statuses.every((s) => s === 'failed')) status = 'failed';
  else status = 'partial';
  const started = items.map((i) => i.started_at).filter((d): d is Date => d !== null);
  const finished = items.map((i) => i.finished_at).filter((d): d is Date => d !== null);
  const latest = (dates: Date[]) => new Date(Math.max(...dates.map((d) => d.getTime())));
  return {
    sync_id: run.id,
    status,
    trigger: run.reason,
    started_at: (started.length
      ? new Date(Math.min(...started.map((d) => d.getTime())))
      : run.created_at
    ).toISOString(),
    finished_at: done ? (finished.length ? latest(finished) : run.created_at).toISOString() : null,
    integrations: items.map((i) => ({
      vendor: i.vendor,
      status: i.status as SyncStatus,
      window: { start: i.window_start, end: i.window_end },
      requests: i.requests,
      fetched: i.fetched,
      created: i.created,
      updated: i.updated,
      unchanged: i.unchanged,
      errors: Array.isArray(i.errors) ? i.errors : [],
      progress: progressOf(i),
    })),
  };
}

type PlanStreams = Parameters<typeof syncProgress>[2];

function progressOf(item: SyncItemRow): SyncIntegrationResult['progress'] {
  const types = (item.plan as { types?: unknown } | null)?.types;
  if (!types || typeof types !== 'object') return null;
  const { types_done, types_total, days_done, days_total } = syncProgress(
    '',
    item.vendor,
    types as PlanStreams,
  );
  return { types_done, types_total, days_done, days_total };
}
