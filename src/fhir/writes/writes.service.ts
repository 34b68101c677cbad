/**
 * User-written FHIR data: principal first; the FHIR store below (so every write also reaches the
 * replication outbox, the health API, summaries and exports).
 *
 *   createObservation(principal, body)    -> { created, stored }           (created: false on a re-send)
 *   createConditions(principal, body)     -> a Condition, or a transaction Bundle of them
 *                                            -> { created, stored } | { bundle } (transaction-response)
 *   readCondition(principal, id)          -> StoredResource (404 when not the caller's)
 *   searchConditions(principal, raw, { base }) -> searchset Bundle
 *
 * Validation order: shape, subject and references' form (400/422), times made absolute, R4
 * structure (`validateResource`, 400 naming the element), then that every `Type/id` reference is
 * the caller's (one store lookup per type, 422 naming the element); nothing is stored unless
 * everything passed.
 */
import type { Bundle, BundleEntry, Condition, Observation } from '@medplum/fhirtypes';
import type { Principal } from '../../auth/auth.service.ts';
import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../errors.ts';
import { insertEvents } from '../../events/events.repository.ts';
import { upsertEvents } from '../../events/observation-events.ts';
import type { LiveEvents } from '../../events/stream-hub.ts';
import { searchsetBundle } from '../api/bundle.ts';
import { encodeCursor } from '../store/cursor.ts';
import type { StoredResource } from '../store/fhir.repository.ts';
import type { FhirStore } from '../store/fhir.service.ts';
import { conditionsOfTransaction, prepareCondition } from './condition-input.ts';
import { cursorSortOf, parseConditionSearch } from './condition-search.ts';
import { prepareObservation } from './observation-input.ts';
import { assertValidR4 } from './r4-validator.ts';
import type { WriteContext } from './write-input.ts';
import { assertOwned, type OwnedType, type StoreReference } from './write-references.ts';

export interface FhirWritesDeps {
  db: Db;
  store: FhirStore;
  clock: Clock;
  /** Woken after an event commits (the live event stream, docs/events.md §7). */
  live?: LiveEvents | undefined;
}

export interface Created<T extends Observation | Condition> {
  created: boolean;
  stored: StoredResource<T>;
}

export type FhirWrites = ReturnType<typeof createFhirWrites>;

export function createFhirWrites(deps: FhirWritesDeps) {
  const { store, clock } = deps;

  async function contextOf(principal: Principal): Promise<WriteContext> {
    const owner = await store.ownerOf(principal);
    return { patientId: owner.patientId, zone: owner.zone };
  }

  async function assertOwnReferences(principal: Principal, refs: readonly StoreReference[]): Promise<void> {
    if (refs.length === 0) return;
    const found = new Map<OwnedType, Set<string>>();
    for (const type of new Set(refs.map((r) => r.type))) {
      const ids = refs.filter((r) => r.type === type).map((r) => r.id);
      found.set(type, await store.ownedIds(principal, type, ids));
    }
    assertOwned(refs, found);
  }

  const loadObservation = (principal: Principal, id: string): Promise<StoredResource<Observation>> =>
    store.readObservation(principal, id);
  const loadCondition = (principal: Principal, id: string): Promise<StoredResource<Condition>> =>
    store.readCondition(principal, id);

  return {
    async createObservation(principal: Principal, body: unknown): Promise<Created<Observation>> {
      const { resource, references } = prepareObservation(body, await contextOf(principal));
      assertValidR4(resource);
      await assertOwnReferences(principal, references);
      const prepared = await store.prepareResources(await store.ownerOf(principal), [resource]);
      // With its `observations.created|updated` event, in one transaction (docs/events.md §1).
      const result = await deps.db.transaction().execute(async (trx) => {
        const written = await store.upsertResources(principal, prepared, { db: trx });
        const source = prepared.rows[0]?.source_vendor ?? 'manual';
        const events = upsertEvents(principal.userId, source, written.changed, prepared.rows);
        await insertEvents(trx, principal.userId, events, clock.now());
        return written;
      });
      deps.live?.wake(principal.userId);
      return { created: result.created > 0, stored: await loadObservation(principal, resource.id) };
    },

    async createConditions(
      principal: Principal,
      body: unknown,
    ): Promise<Created<Condition> | { bundle: Bundle }> {
      const ctx = await contextOf(principal);
      if ((body as { resourceType?: unknown } | null)?.resourceType !== 'Bundle') {
        const { resource: condition, references } = prepareCondition(body, ctx);
        assertValidR4(condition);
        await assertOwnReferences(principal, references);
        const result = await store.upsertResources(principal, [condition]);
        return { created: result.created > 0, stored: await loadCondition(principal, condition.id) };
      }
      const prepared = conditionsOfTransaction(body as Bundle, ctx);
      const conditions = prepared.map((p) => p.resource);
      for (const [i, c] of conditions.entries()) validateEntry(c, i);
      await assertOwnReferences(
        principal,
        prepared.flatMap((p) => p.references),
      );
      const result = await store.upsertResources(principal, conditions);
      const inserted = new Set(result.changed.filter((c) => c.inserted).map((c) => c.id));
      const entry: BundleEntry[] = [];
      for (const c of conditions) {
        const stored = await loadCondition(principal, c.id);
        entry.push({
          fullUrl: `Condition/${c.id}`,
          resource: stored.resource,
          response: {
            status: inserted.has(c.id) ? '201 Created' : '200 OK',
            location: `Condition/${c.id}/_history/${stored.versionId}`,
            etag: `W/"${stored.versionId}"`,
            lastModified: stored.lastUpdated.toISOString(),
          },
        });
      }
      return { bundle: { resourceType: 'Bundle', type: 'transaction-response', entry } };
    },

    readCondition: loadCondition,

    async searchConditions(principal: Principal, raw: Record<string, unknown>, options: { base: string }) {
      const ctx = await contextOf(principal);
      const parsed = parseConditionSearch(raw, ctx);
      const now = clock.now();
      const common = {
        base: options.base,
        resourceType: 'Condition',
        used: parsed.used,
        ignored: parsed.ignored,
        now,
      };
      if (parsed.foreignPatient) {
        return searchsetBundle({
          ...common,
          resources: [],
          nextCursor: undefined,
          total: parsed.total ? 0 : undefined,
          notes: ['No Patient matches the patient/subject parameter'],
        });
      }
      const page = await store.searchConditions(principal, parsed.query, { total: parsed.total });
      return searchsetBundle({
        ...common,
        resources: page.rows.map((r) => r.resource),
        nextCursor: page.next ? encodeCursor(cursorSortOf(parsed.query.sort), page.next) : undefined,
        total: page.total,
      });
    },
  };
}

/** R4 validation of one Bundle entry, its field errors named from the entry. */
function validateEntry(condition: Condition, index: number): void {
  try {
    assertValidR4(condition);
  } catch (err) {
    if (!(err instanceof AppError) || !err.errors) throw err;
    const prefix = `Bundle.entry[${index}].resource`;
    const errors = err.errors.map((e) => ({ ...e, field: e.field.replace(/^Condition/, prefix) }));
    throw new AppError(err.code, `${prefix}: ${err.message}`, { errors });
  }
}
