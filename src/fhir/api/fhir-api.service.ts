/**
 * What the FHIR routes call: one method per interaction, principal first.
 *
 *   read(principal, type, id)                   -> StoredResource (404 AppError when not the caller's)
 *   searchObservations(principal, raw, options) -> searchset Bundle
 */
import type { Observation, Resource } from '@medplum/fhirtypes';
import type { Principal } from '../../auth/auth.service.ts';
import type { Clock } from '../../clock.ts';
import { toAppView } from '../app-view.ts';
import { encodeCursor } from '../store/cursor.ts';
import type { FhirStore } from '../store/fhir.service.ts';
import { searchsetBundle } from './bundle.ts';
import { parseObservationSearch } from './search-params.ts';

export type ReadableType = 'Patient' | 'Observation' | 'Device';

export interface SearchOptions {
  /** Absolute base of the mount the request came through. */
  base: string;
  /** The PHR app's view (`/fhir` without R4): effectiveDateTime always set, readable labels. */
  appView: boolean;
}

export type FhirApi = ReturnType<typeof createFhirApi>;

export function createFhirApi(store: FhirStore, clock: Clock) {
  return {
    async read(principal: Principal, type: ReadableType, id: string, appView = false) {
      const found =
        type === 'Patient'
          ? await store.readPatient(principal, id)
          : type === 'Device'
            ? await store.readDevice(principal, id)
            : await store.readObservation(principal, id);
      if (appView && type === 'Observation') {
        return { ...found, resource: toAppView(found.resource as Observation) as Resource };
      }
      return found;
    },

    async searchObservations(principal: Principal, raw: Record<string, unknown>, options: SearchOptions) {
      const owner = await store.ownerOf(principal);
      const parsed = parseObservationSearch(raw, owner);
      const now = clock.now();
      if (parsed.foreignPatient) {
        // Never another user's data, and not even whether that Patient exists.
        return searchsetBundle({
          base: options.base,
          resourceType: 'Observation',
          used: parsed.used,
          resources: [],
          nextCursor: undefined,
          total: parsed.total ? 0 : undefined,
          ignored: parsed.ignored,
          notes: ['No Patient matches the patient/subject parameter'],
          now,
        });
      }
      const page = await store.searchObservations(principal, parsed.query, { total: parsed.total });
      const resources = page.rows.map((r) => (options.appView ? toAppView(r.resource) : r.resource));
      return searchsetBundle({
        base: options.base,
        resourceType: 'Observation',
        used: parsed.used,
        resources,
        nextCursor: page.next ? encodeCursor(parsed.query.sort, page.next) : undefined,
        total: page.total,
        ignored: parsed.ignored,
        now,
      });
    },
  };
}
