/**
 * Writes one fetched chunk: Devices and Observations through the FHIR store (hash-guarded
 * upserts: unchanged rows are not rewritten), the run item's counts and progress, and the
 * type's cursor, all in one transaction. A crash before the commit leaves nothing behind; a
 * crash after it resumes at the next chunk.
 */
import type { Device, Observation } from '@medplum/fhirtypes';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import type { Measurement } from '../fhir/measurement.ts';
import { toObservation } from '../fhir/observation.mapper.ts';
import { toDevice } from '../fhir/resources.mapper.ts';
import type { FhirStore } from '../fhir/store/fhir.service.ts';
import { addCounts, advanceCursor, type ItemCounts } from './sync.repository.ts';

/** NOTE: a fixed meta.source per type, not the configured base URL, so moving the API (or a sandbox port) does not rewrite every resource. */
const SOURCE_BASE = 'https://health.googleapis.com/v4/users/me/dataTypes';

export interface ChunkCommit {
  userId: number;
  runId: string;
  integrationId: string;
  dataType: string;
  type: string;
  measurements: Measurement[];
  fetched: number;
  requests: number;
  plan: unknown;
  /** Advance the type's cursor to this date (complete days only), if set. */
  cursorThrough: string | undefined;
}

export async function commitChunk(
  deps: { db: Db; clock: Clock; store: FhirStore },
  chunk: ChunkCommit,
): Promise<ItemCounts> {
  const { db, clock, store } = deps;
  const principal = { userId: chunk.userId };
  return db.transaction().execute(async (trx) => {
    const now = clock.now();
    let counts = { created: 0, updated: 0, unchanged: 0 };
    if (chunk.measurements.length > 0) {
      const { patientId } = await store.ownerOf(principal, trx);
      const devices = new Map<string, Device>();
      const observations: Observation[] = [];
      for (const m of chunk.measurements) {
        const device = toDevice(m.source, { patientId });
        if (device?.id) devices.set(device.id, device);
        observations.push(
          toObservation(m, { patientId, now, sourceUri: `${SOURCE_BASE}/${chunk.dataType}` }),
        );
      }
      if (devices.size > 0) await store.upsertResources(principal, [...devices.values()], { db: trx });
      const written = await store.upsertResources(principal, observations, { db: trx });
      counts = { created: written.created, updated: written.updated, unchanged: written.unchanged };
    }
    const total = { ...counts, requests: chunk.requests, fetched: chunk.fetched };
    await addCounts(trx, chunk.runId, chunk.integrationId, total, chunk.plan);
    if (chunk.cursorThrough)
      await advanceCursor(trx, chunk.integrationId, chunk.type, chunk.cursorThrough, now);
    return total;
  });
}
