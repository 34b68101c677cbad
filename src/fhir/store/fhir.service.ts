/**
 * The FHIR store service: principal first, transactions here, repositories below.
 *
 *   upsertResources(principal, resources, { db? }) -> { created, updated, unchanged, changed }
 *     (Observation, Device, Patient, and user-written Condition)
 *   prepareResources(owner, resources)             -> PreparedResources: the rows, built with no I/O
 *                                                     in slices (the event loop runs between them)
 *   upsertResources(principal, prepared, { db? })  -> the same, writing rows built beforehand
 *   readPatient / readObservation / readDevice(principal, id) -> StoredResource (404 AppError otherwise)
 *   searchObservations(principal, query, { total })          -> { rows, next, total? }
 *   readCondition(principal, id), searchConditions(principal, query, { total }) (user-written Conditions)
 *   ownedIds(principal, type, ids)                            -> the subset of ids the caller holds
 *   observationIdsOn(principal, { type, identifierPrefix, start, end }) -> the ids stored on those local dates
 *   deleteResource(principal, type, id, { db? })              -> true when something was deleted
 *   eraseUser(principal)                                      -> number of resources deleted
 *
 * Every write also enqueues the change in the replication outbox, in the same transaction, when
 * replication is on.
 */
import type { Condition, Device, Observation, Patient } from '@medplum/fhirtypes';
import { findUserById } from '../../auth/auth.repository.ts';
import type { Principal } from '../../auth/auth.service.ts';
import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/database.ts';
import { AppError, notFound } from '../../errors.ts';
import { mapInSlices } from '../../event-loop.ts';
import { toPatient } from '../resources.mapper.ts';
import { userZone } from '../zones.ts';
import { type ConditionQuery, countConditions, queryConditions } from './condition-query.repository.ts';
import * as repo from './fhir.repository.ts';
import {
  countObservations,
  type Keyset,
  type ObservationQuery,
  queryObservations,
} from './observation-query.repository.ts';
import { enqueueChanges } from './replication-outbox.repository.ts';
import {
  type ResourceRow,
  type StorableResource,
  type StoredResourceType,
  toResourceRow,
} from './resource-row.ts';

export interface FhirStoreDeps {
  db: Db;
  clock: Clock;
  /** Write outbox rows (FHIR_SERVER_URL is set). */
  replicate: boolean;
  defaultTimeZone: string;
  /** Rows per INSERT statement. */
  batchSize?: number;
}

export interface UpsertCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface UpsertResult extends UpsertCounts {
  changed: repo.ChangedRow[];
}

export interface Owner {
  userId: number;
  patientId: string;
  zone: string;
}

/**
 * Resources turned into rows ahead of their write (ownership checked, duplicates dropped, JSON,
 * hash and indexed columns computed): pure CPU work a caller can do before it opens the
 * transaction, e.g. while the previous batch is being written.
 */
export interface PreparedResources {
  readonly owner: Owner;
  readonly resources: readonly StorableResource[];
  readonly rows: readonly ResourceRow[];
}

export type FhirStore = ReturnType<typeof createFhirStore>;

export function createFhirStore(deps: FhirStoreDeps) {
  const { db, clock } = deps;
  const batchSize = deps.batchSize ?? 2_000;

  /**
   * `forWrite` (inside the write's transaction): the user row stays locked FOR KEY SHARE until the
   * transaction ends, in place of a foreign key checked per row (migration 0010). Erasure locks the
   * row FOR UPDATE first, so it waits for this write and then deletes its rows; a write that comes
   * after it finds no owner.
   */
  async function ownerOf(
    principal: Principal,
    conn: Db = db,
    options: { forWrite?: boolean } = {},
  ): Promise<Owner & { name: string; email: string; storedZone: string | null }> {
    const user = await findUserById(conn, principal.userId, { keyShare: options.forWrite });
    if (!user) throw new AppError('UNAUTHENTICATED', 'Account no longer exists');
    return {
      userId: user.id,
      patientId: user.fhir_patient_id,
      zone: userZone(user.time_zone, deps.defaultTimeZone),
      storedZone: user.time_zone,
      name: user.name,
      email: user.email,
    };
  }

  function buildRows(owner: Owner, resources: readonly StorableResource[]): PreparedResources {
    const all = unique(resources, owner.patientId);
    return { owner: ownerKey(owner), resources: all, rows: all.map((r) => toResourceRow(r, owner)) };
  }

  async function writeRows(conn: Db, owner: Owner, prepared: PreparedResources): Promise<UpsertResult> {
    // Rows built for another owner, or with a zone the person has changed since: build them again.
    const p = prepared.owner;
    const { rows } =
      p.userId === owner.userId && p.patientId === owner.patientId && p.zone === owner.zone
        ? prepared
        : buildRows(owner, prepared.resources);
    const now = clock.now();
    const changed: repo.ChangedRow[] = [];
    for (let i = 0; i < rows.length; i += batchSize) {
      const done = await repo.upsertRows(conn, owner.userId, rows.slice(i, i + batchSize), now);
      if (deps.replicate) await enqueueChanges(conn, owner.userId, done, 'put', now);
      changed.push(...done);
    }
    const created = changed.filter((c) => c.inserted).length;
    return { created, updated: changed.length - created, unchanged: rows.length - changed.length, changed };
  }

  async function ensurePatientIn(conn: Db, owner: Owner & { name: string; email: string }): Promise<void> {
    const patient = toPatient({
      patientId: owner.patientId,
      userId: owner.userId,
      name: owner.name,
      email: owner.email,
    });
    await writeRows(conn, owner, buildRows(owner, [patient as StorableResource]));
  }

  async function read<T extends StorableResource>(
    principal: Principal,
    type: StoredResourceType,
    id: string,
  ) {
    const found = await repo.findResource<T>(db, principal.userId, type, id);
    if (!found) throw notFound(type);
    return found;
  }

  return {
    ownerOf,

    /**
     * Checks and turns resources into rows without I/O, in slices that leave the event loop free
     * between them (a write in flight keeps going); `upsertResources` writes them later.
     */
    async prepareResources(
      owner: Owner,
      resources: readonly (Observation | Device | Patient | Condition)[],
    ): Promise<PreparedResources> {
      const all = unique(resources.map(asStorable), owner.patientId);
      const rows = await mapInSlices(all, (r) => toResourceRow(r, owner));
      return { owner: ownerKey(owner), resources: all, rows };
    },

    /**
     * Upserts Observations and Devices (and the user's Patient, created on first need) in one
     * transaction, or in the caller's transaction when `options.db` is one. Takes the resources,
     * or rows prepared beforehand for the same owner.
     */
    async upsertResources(
      principal: Principal,
      resources: readonly (Observation | Device | Patient | Condition)[] | PreparedResources,
      options: { db?: Db } = {},
    ): Promise<UpsertResult> {
      const work = async (conn: Db) => {
        const owner = await ownerOf(principal, conn, { forWrite: true });
        await ensurePatientIn(conn, owner);
        const prepared = 'rows' in resources ? resources : buildRows(owner, resources.map(asStorable));
        return writeRows(conn, owner, prepared);
      };
      return options.db ? work(options.db) : db.transaction().execute(work);
    },

    async readPatient(principal: Principal, id: string) {
      const owner = await ownerOf(principal);
      if (id !== owner.patientId) throw notFound('Patient');
      const found = await repo.findResource<Patient>(db, owner.userId, 'Patient', id);
      if (found) return found;
      await db
        .transaction()
        .execute(async (trx) => ensurePatientIn(trx, await ownerOf(principal, trx, { forWrite: true })));
      return read<Patient & StorableResource>(principal, 'Patient', id);
    },

    readObservation: (principal: Principal, id: string) =>
      read<Observation & StorableResource>(principal, 'Observation', id),
    readDevice: (principal: Principal, id: string) =>
      read<Device & StorableResource>(principal, 'Device', id),
    readCondition: (principal: Principal, id: string) =>
      read<Condition & StorableResource>(principal, 'Condition', id),

    async ownedIds(principal: Principal, type: StoredResourceType, ids: string[]): Promise<Set<string>> {
      return new Set(await repo.findOwnedIds(db, principal.userId, type, [...new Set(ids)]));
    },

    /**
     * Ids of the caller's Observations of one type, whose identifier starts with the prefix (one
     * vendor's), on local dates [start, end]: what a complete re-read of those dates must find again.
     */
    async observationIdsOn(
      principal: Principal,
      query: { type: string; identifierPrefix: string; start: string; end: string },
    ): Promise<string[]> {
      return repo.findObservationIdsOn(db, principal.userId, query);
    },

    async searchConditions(principal: Principal, query: ConditionQuery, options: { total?: boolean } = {}) {
      const page =
        query.limit > 0
          ? await queryConditions(db, principal.userId, query)
          : { rows: [], next: undefined as Keyset | undefined };
      const total = options.total ? await countConditions(db, principal.userId) : undefined;
      return { ...page, total };
    },

    async searchObservations(
      principal: Principal,
      query: ObservationQuery,
      options: { total?: boolean } = {},
    ) {
      const q = { ...query, now: clock.now() };
      const page =
        query.limit > 0
          ? await queryObservations(db, principal.userId, q)
          : { rows: [], next: undefined as Keyset | undefined };
      const total = options.total ? await countObservations(db, principal.userId, q) : undefined;
      return { ...page, total };
    },

    /** In its own transaction, or in the caller's when `options.db` is one. */
    async deleteResource(
      principal: Principal,
      type: 'Observation' | 'Device',
      id: string,
      options: { db?: Db } = {},
    ): Promise<boolean> {
      const work = async (conn: Db) => {
        const key = await repo.deleteResource(conn, principal.userId, type, id);
        if (key && deps.replicate) await enqueueChanges(conn, principal.userId, [key], 'delete', clock.now());
        return key !== undefined;
      };
      return options.db ? work(options.db) : db.transaction().execute(work);
    },

    /** Erases every FHIR resource of the user; mirrored deletions stay queued after the account is gone. */
    async eraseUser(principal: Principal, options: { db?: Db } = {}): Promise<number> {
      const work = async (conn: Db) => {
        const keys = await repo.deleteAllForUser(conn, principal.userId);
        if (deps.replicate) await enqueueChanges(conn, principal.userId, keys, 'delete', clock.now());
        return keys.length;
      };
      return options.db ? work(options.db) : db.transaction().execute(work);
    },
  };
}

/** The resources that belong to the owner, the last of each identifier (else id) kept. */
function unique(resources: readonly StorableResource[], patientId: string): StorableResource[] {
  const byKey = new Map<string, StorableResource>();
  for (const r of resources) {
    checkOwnership(r, patientId);
    const ident = r.identifier?.[0];
    const key =
      ident?.system && ident.value
        ? `${r.resourceType}|${ident.system}|${ident.value}`
        : `${r.resourceType}/${r.id}`;
    byKey.set(key, r);
  }
  return [...byKey.values()];
}

const ownerKey = ({ userId, patientId, zone }: Owner): Owner => ({ userId, patientId, zone });

function asStorable(r: Observation | Device | Patient | Condition): StorableResource {
  if (!r.id) throw new AppError('UNPROCESSABLE', `${r.resourceType} has no id`);
  return r as StorableResource;
}

/** A resource may only point at its owner's Patient. */
function checkOwnership(r: StorableResource, patientId: string): void {
  const expected = `Patient/${patientId}`;
  if (r.resourceType === 'Observation' || r.resourceType === 'Condition') {
    const ref = (r as Observation | Condition).subject?.reference;
    if (ref !== expected)
      throw new AppError('UNPROCESSABLE', `${r.resourceType}.subject is not the owner’s Patient`);
  } else if (r.resourceType === 'Device') {
    const ref = (r as Device).patient?.reference;
    if (ref !== undefined && ref !== expected)
      throw new AppError('UNPROCESSABLE', 'Device.patient is not the owner’s Patient');
  } else if (r.resourceType === 'Patient' && r.id !== patientId) {
    throw new AppError('UNPROCESSABLE', 'Patient is not the owner’s');
  }
}
