/**
 * One fetched chunk on its way to the store, in two steps:
 *
 *   prepareChunk(deps, { owner, sourceUri, measurements }) -> PreparedChunk
 *     Devices and Observations mapped and turned into rows, no I/O, in slices (the runner does
 *     this for chunk i + 1 while chunk i commits)
 *   commitChunk(deps, chunk) -> counts
 *     the rows through the FHIR store (hash-guarded upserts: unchanged rows are not rewritten), the
 *     run item's counts and progress, the stream's cursor and the `observations.created|updated`
 *     events (src/events), all in one transaction. A crash before the commit leaves nothing
 *     behind; a crash after it resumes at the next chunk. Pruned records go in a second
 *     transaction with their `observations.deleted` events.
 */
import type { Device } from '@medplum/fhirtypes';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { mapInSlices } from '../event-loop.ts';
import { insertEvents } from '../events/events.repository.ts';
import { type ChangedObservation, observationEvents, upsertEvents } from '../events/observation-events.ts';
import { OBSERVATION_IDENTIFIER_SYSTEM } from '../fhir/codes.ts';
import { observationIdentifier } from '../fhir/ids.ts';
import type { Measurement } from '../fhir/measurement.ts';
import { toObservation } from '../fhir/observation.mapper.ts';
import { toDevice } from '../fhir/resources.mapper.ts';
import type { FhirStore, Owner, PreparedResources } from '../fhir/store/fhir.service.ts';
import { advanceCursor, type ItemCounts, saveProgress } from './sync.repository.ts';

type ChunkDeps = { db: Db; clock: Clock; store: FhirStore };

export interface PreparedChunk {
  devices: PreparedResources | undefined;
  observations: PreparedResources | undefined;
  /** The Observation ids the chunk holds (what pruning keeps). */
  ids: Set<string>;
}

export interface ChunkCommit {
  /** Read once per run (src/fhir/store); the write itself locks and re-checks it. */
  owner: Owner;
  runId: string;
  integrationId: string;
  /** The integration's vendor: the `source` of the chunk's events. */
  vendor: string;
  /** The stream whose cursor moves, and the types it holds (what pruning looks at). */
  stream: string;
  types: readonly string[];
  prepared: PreparedChunk;
  fetched: number;
  requests: number;
  /** The run's plan with this chunk done: saved in the chunk's transaction. */
  plan: unknown;
  /** Advance the stream's cursor to this value (it only moves forward), if set. */
  cursor: string | undefined;
  /**
   * The fetch read these whole local dates completely: stored records of the stream's types on
   * them that the vendor no longer returns are deleted (a late device sync replaced them, or the
   * user deleted them). Unset for daily records, whose key is the date itself.
   */
  prune?: { start: string; end: string; vendor: string } | undefined;
}

export async function prepareChunk(
  deps: ChunkDeps,
  chunk: { owner: Owner; sourceUri: string; measurements: readonly Measurement[] },
): Promise<PreparedChunk> {
  const { owner, measurements } = chunk;
  const ids = new Set<string>();
  if (measurements.length === 0) return { devices: undefined, observations: undefined, ids };
  const now = deps.clock.now();
  const devices = new Map<string, Device>();
  const ctx = { patientId: owner.patientId, now, sourceUri: chunk.sourceUri };
  // In slices, like the rows below: a commit in flight keeps going between them (src/event-loop.ts).
  const observations = await mapInSlices(measurements, (m) => {
    const device = toDevice(m.source, { patientId: owner.patientId });
    if (device?.id) devices.set(device.id, device);
    const obs = toObservation(m, ctx);
    if (obs.id) ids.add(obs.id);
    return obs;
  });
  return {
    devices: devices.size > 0 ? await deps.store.prepareResources(owner, [...devices.values()]) : undefined,
    observations: await deps.store.prepareResources(owner, observations),
    ids,
  };
}

export async function commitChunk(
  deps: ChunkDeps,
  chunk: ChunkCommit,
): Promise<ItemCounts & { deleted: number }> {
  const { store } = deps;
  const principal = { userId: chunk.owner.userId };
  const counts = await writeChunk(deps, chunk);
  let deleted = 0;
  if (chunk.prune) {
    const { patientId } = chunk.owner;
    const prefix = `${OBSERVATION_IDENTIFIER_SYSTEM}|${observationIdentifier(patientId, chunk.prune.vendor, '').value}`;
    const gone: ChangedObservation[] = [];
    for (const type of chunk.types) {
      const stored = await store.observationIdsOn(principal, {
        type,
        identifierPrefix: prefix,
        ...chunk.prune,
      });
      for (const id of stored) if (!chunk.prepared.ids.has(id)) gone.push({ id, type, effectiveStart: null });
    }
    // NOTE: after the chunk's commit, in a transaction of their own (FHIR outbox and events
    // included); a crash in between leaves a stale record until the next complete re-read of its date.
    if (gone.length > 0) {
      deleted = await deps.db.transaction().execute(async (trx) => {
        const done = [];
        for (const g of gone)
          if (await store.deleteResource(principal, 'Observation', g.id, { db: trx })) done.push(g);
        const events = observationEvents(principal.userId, chunk.vendor, 'deleted', done);
        await insertEvents(trx, principal.userId, events, deps.clock.now());
        return done.length;
      });
    }
  }
  return { ...counts, deleted };
}

async function writeChunk(deps: ChunkDeps, chunk: ChunkCommit): Promise<ItemCounts> {
  const { db, clock, store } = deps;
  const principal = { userId: chunk.owner.userId };
  const { devices, observations } = chunk.prepared;
  return db.transaction().execute(async (trx) => {
    const now = clock.now();
    let counts = { created: 0, updated: 0, unchanged: 0 };
    if (devices) await store.upsertResources(principal, devices, { db: trx });
    if (observations) {
      const written = await store.upsertResources(principal, observations, { db: trx });
      counts = { created: written.created, updated: written.updated, unchanged: written.unchanged };
      // One INSERT for the chunk's events (thin: ids and ranges, docs/events.md).
      const events = upsertEvents(principal.userId, chunk.vendor, written.changed, observations.rows);
      await insertEvents(trx, principal.userId, events, now);
    }
    const total = { ...counts, requests: chunk.requests, fetched: chunk.fetched };
    await saveProgress(trx, chunk.runId, chunk.integrationId, total, chunk.plan);
    if (chunk.cursor) await advanceCursor(trx, chunk.integrationId, chunk.stream, chunk.cursor, now);
    return total;
  });
}
