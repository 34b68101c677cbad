/**
 * Writes one fetched chunk: Devices and Observations through the FHIR store (hash-guarded
 * upserts: unchanged rows are not rewritten), the run item's counts and progress, and the
 * type's cursor, all in one transaction. A crash before the commit leaves nothing behind; a
 * crash after it resumes at the next chunk.
 */
import type { Device, Observation } from '@medplum/fhirtypes';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { OBSERVATION_IDENTIFIER_SYSTEM } from '../fhir/codes.ts';
import { observationIdentifier } from '../fhir/ids.ts';
import type { Measurement } from '../fhir/measurement.ts';
import { toObservation } from '../fhir/observation.mapper.ts';
import { toDevice } from '../fhir/resources.mapper.ts';
import type { FhirStore, PreparedResources } from '../fhir/store/fhir.service.ts';
import { addCounts, advanceCursor, type ItemCounts, storedObservationIds } from './sync.repository.ts';

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
  /**
   * The fetch read these whole local dates completely: stored records of the type on them that the
   * vendor no longer returns are deleted (a late device sync replaced them). Unset for daily
   * records, whose key is the date itself.
   */
  prune?: { start: string; end: string; vendor: string } | undefined;
}

export async function commitChunk(
  deps: { db: Db; clock: Clock; store: FhirStore },
  chunk: ChunkCommit,
): Promise<ItemCounts & { deleted: number }> {
  const { db, store } = deps;
  const principal = { userId: chunk.userId };
  const written = await writeChunk(deps, chunk);
  let deleted = 0;
  if (chunk.prune) {
    const { patientId } = await store.ownerOf(principal);
    const prefix = `${OBSERVATION_IDENTIFIER_SYSTEM}|${observationIdentifier(patientId, chunk.prune.vendor, '').value}`;
    const stored = await storedObservationIds(db, chunk.userId, {
      type: chunk.type,
      identifierPrefix: prefix,
      ...chunk.prune,
    });
    // NOTE: after the commit, one by one through the store (outbox included); a crash in between
    // leaves a stale record until the next complete re-read of its date.
    for (const id of stored) {
      if (!written.ids.has(id) && (await store.deleteResource(principal, 'Observation', id))) deleted += 1;
    }
  }
  return { ...written.counts, deleted };
}

async function writeChunk(
  deps: { db: Db; clock: Clock; store: FhirStore },
  chunk: ChunkCommit,
): Promise<{ counts: ItemCounts; ids: Set<string> }> {
  const { db, clock, store } = deps;
  const principal = { userId: chunk.userId };
  const ids = new Set<string>();
  // Mapped and turned into rows before the transaction opens: it then holds its connection and
  // locks for the writes alone (src/fhir/store: prepareResources).
  let prepared: { devices: PreparedResources; observations: PreparedResources } | undefined;
  if (chunk.measurements.length > 0) {
    const owner = await store.ownerOf(principal);
    const now = clock.now();
    const devices = new Map<string, Device>();
    const observations: Observation[] = [];
    for (const m of chunk.measurements) {
      const device = toDevice(m.source, { patientId: owner.patientId });
      if (device?.id) devices.set(device.id, device);
      const obs = toObservation(m, {
        patientId: owner.patientId,
        now,
        sourceUri: `${SOURCE_BASE}/${chunk.dataType}`,
      });
      if (obs.id) ids.add(obs.id);
      observations.push(obs);
    }
    prepared = {
      devices: store.prepareResources(owner, [...devices.values()]),
      observations: store.prepareResources(owner, observations),
    };
  }
  return db.transaction().execute(async (trx) => {
    const now = clock.now();
    let counts = { created: 0, updated: 0, unchanged: 0 };
    if (prepared) {
      if (prepared.devices.rows.length > 0)
        await store.upsertResources(principal, prepared.devices, { db: trx });
      const written = await store.upsertResources(principal, prepared.observations, { db: trx });
      counts = { created: written.created, updated: written.updated, unchanged: written.unchanged };
    }
    const total = { ...counts, requests: chunk.requests, fetched: chunk.fetched };
    await addCounts(trx, chunk.runId, chunk.integrationId, total, chunk.plan);
    if (chunk.cursorThrough)
      await advanceCursor(trx, chunk.integrationId, chunk.type, chunk.cursorThrough, now);
    return { counts: total, ids };
  });
}
