/**
 * Sync engine state -> what PHR-App's sync screens read (pure; docs/mobile-app.md "What the app calls", rows 9-10).
 *
 *   toAppJobStatus('succeeded') -> 'success'         (the app knows queued|running|success|failed)
 *   toVendorSyncStatus(integration, latestItem, notice?) -> one `vendors[]` entry of GET /sync/status
 *
 * The engine's `partial` (some types failed, the rest synced) is not a word the app knows (it would
 * poll for 60 s and show "unknown"): it is reported as `success`, with the failures in `message`
 * and `last_job_error`. PHR-py's shape is kept: `sync_status` idle|queued|running|success|failed,
 * `last_job_status` null before the first run.
 *
 * An open notice of the integration (docs/events.md §7: revoked grant, failing syncs) is the
 * `message`, except while a run is queued or running (the app polls then and shows its progress).
 */
import type { IntegrationRow } from '../integrations/integrations.repository.ts';
import type { LatestRunItem } from './sync-status.repository.ts';

export type AppJobStatus = 'queued' | 'running' | 'success' | 'failed';

const BY_ENGINE_STATUS: Readonly<Record<string, AppJobStatus>> = {
  queued: 'queued',
  running: 'running',
  succeeded: 'success',
  partial: 'success',
  failed: 'failed',
};

export function toAppJobStatus(engineStatus: string): AppJobStatus {
  return BY_ENGINE_STATUS[engineStatus] ?? 'failed';
}

export interface VendorSyncStatus {
  vendor: string;
  vendor_user_id: string | null;
  /** The integration's own state (connected, needs_reauth, ...): not a job status. */
  integration_status: string;
  connected: boolean;
  last_successful_sync_at: string | null;
  sync_status: AppJobStatus | 'idle';
  sync_job_id: string | null;
  last_job_status: AppJobStatus | null;
  last_job_error: string | null;
  /** The first error's stable code (VENDOR_UNAVAILABLE, VENDOR_AUTH_REVOKED, ...), beside the text. */
  last_job_error_code: string | null;
  last_job_started_at: string | null;
  last_job_finished_at: string | null;
  message: string;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function toVendorSyncStatus(
  row: IntegrationRow,
  item: LatestRunItem | undefined,
  notice?: { message: string },
): VendorSyncStatus {
  const job = item ? toAppJobStatus(item.status) : null;
  const errors = item?.errors.map((e) => e.message).filter(Boolean) ?? [];
  const lastOk = row.last_sync_status === 'succeeded' || row.last_sync_status === 'partial';
  const reportsErrors = job === 'failed' || item?.status === 'partial';
  return {
    vendor: row.vendor,
    vendor_user_id: row.vendor_user_id,
    integration_status: row.status,
    connected: row.is_active && (row.status === 'connected' || row.status === 'provider_unavailable'),
    last_successful_sync_at: lastOk ? iso(row.last_sync_at) : null,
    sync_status: job ?? 'idle',
    sync_job_id: item?.run_id ?? null,
    last_job_status: job,
    last_job_error: reportsErrors ? errors.join('; ') || null : null,
    last_job_error_code: reportsErrors ? (item?.errors[0]?.code ?? null) : null,
    last_job_started_at: iso(item?.started_at),
    last_job_finished_at: iso(item?.finished_at),
    message: notice && job !== 'queued' && job !== 'running' ? notice.message : messageFor(row, item, errors),
  };
}

function messageFor(row: IntegrationRow, item: LatestRunItem | undefined, errors: string[]): string {
  if (row.status === 'needs_reauth') return 'Authorization expired or was revoked: connect again';
  if (!row.is_active) return 'Disconnected';
  if (!item) return row.status === 'pending_authorization' ? 'Waiting for authorization' : 'Not synced yet';
  switch (item.status) {
    case 'queued':
      return 'Sync queued';
    case 'running':
      return 'Sync in progress';
    case 'succeeded':
      return `Sync complete: ${item.created} new, ${item.updated} updated`;
    case 'partial':
      return `Sync complete with problems: ${errors[0] ?? 'some data types failed'}`;
    default:
      return errors[0] ?? 'Sync failed';
  }
}
