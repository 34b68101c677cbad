// GET /sync/status in the app's four words, whatever the engine reports (contract §2 row 10, §8).
import { describe, expect, it } from 'vitest';
import type { IntegrationRow } from '../../src/integrations/integrations.repository.ts';
import type { LatestRunItem } from '../../src/mobile/sync-status.repository.ts';
import { toAppJobStatus, toVendorSyncStatus } from '../../src/mobile/sync-status.view.ts';

const row = (over: Partial<IntegrationRow> = {}) =>
  ({
    id: 'i-1',
    vendor: 'fitbit',
    vendor_user_id: 'g-1',
    status: 'connected',
    is_active: true,
    last_sync_at: new Date('2026-11-20T10:00:00Z'),
    last_sync_status: 'partial',
    created_at: new Date('2026-11-01T00:00:00Z'),
    ...over,
  }) as IntegrationRow;

const item = (status: string, errors: { code: string; message: string }[] = []): LatestRunItem => ({
  integration_id: 'i-1',
  run_id: '6f1c2a9e-0000-4000-8000-000000000001',
  status,
  errors,
  created: 12,
  updated: 3,
  started_at: new Date('2026-11-20T10:00:00Z'),
  finished_at: status === 'queued' || status === 'running' ? null : new Date('2026-11-20T10:00:05Z'),
  requested_at: new Date('2026-11-20T09:59:59Z'),
});

describe('sync statuses for PHR-App', () => {
  it('maps every engine status to one the app understands', () => {
    expect(['queued', 'running', 'succeeded', 'partial', 'failed'].map(toAppJobStatus)).toEqual([
      'queued',
      'running',
      'success',
      'success',
      'failed',
    ]);
  });

  it('reports partial as success with the failure in message and last_job_error', () => {
    const v = toVendorSyncStatus(row(), item('partial', [{ code: 'VENDOR_ERROR', message: 'sleep: 500' }]));
    expect(v).toMatchObject({
      last_job_status: 'success',
      sync_status: 'success',
      last_job_error: 'sleep: 500',
      sync_job_id: '6f1c2a9e-0000-4000-8000-000000000001',
      last_successful_sync_at: '2026-11-20T10:00:00.000Z',
    });
    expect(v.message).toContain('sleep: 500');
  });

  it('a failure carries its message; before any run the job status is null (PHR-py: idle)', () => {
    const failed = toVendorSyncStatus(
      row({ status: 'needs_reauth', last_sync_status: 'failed' }),
      item('failed', [{ code: 'VENDOR_AUTH_REVOKED', message: 'grant revoked' }]),
    );
    expect(failed).toMatchObject({
      last_job_status: 'failed',
      last_job_error: 'grant revoked',
      connected: false,
    });
    expect(failed.last_successful_sync_at).toBeNull();
    const fresh = toVendorSyncStatus(row({ last_sync_status: null, last_sync_at: null }), undefined);
    expect(fresh).toMatchObject({ last_job_status: null, sync_status: 'idle', sync_job_id: null });
  });

  it('an open notice is the message, except while a run is queued or running; field names stay', () => {
    const notice = { message: 'The last 3 syncs of Fitbit failed: HTTP 503' };
    const failed = item('failed', [{ code: 'VENDOR_UNAVAILABLE', message: 'HTTP 503' }]);
    const plain = toVendorSyncStatus(row(), failed);
    const noticed = toVendorSyncStatus(row(), failed, notice);
    expect(noticed).toEqual({ ...plain, message: notice.message });
    expect(toVendorSyncStatus(row(), item('running'), notice).message).toBe('Sync in progress');
    expect(toVendorSyncStatus(row(), item('queued'), notice).message).toBe('Sync queued');
    expect(toVendorSyncStatus(row(), undefined, notice).message).toBe(notice.message);
  });
});
