/**
 * Stored run + items -> the API's SyncResult (docs/api.md): the run's status is derived from
 * its items (queued | running | succeeded | partial | failed).
 */
import type { SyncItemRow, SyncRunRow } from './sync.repository.ts';
import type { SyncError } from './sync.tables.ts';

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
}

export interface SyncResult {
  sync_id: string;
  status: SyncStatus;
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
    })),
  };
}
