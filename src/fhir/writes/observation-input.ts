/**
 * A user-written Observation (PHR app: manual vitals, blood-pressure panels, heart-rate monitor,
 * Health Connect points) -> the resource the store keeps (pure).
 *
 *   prepareObservation(body, { patientId, zone }) -> { resource, source }
 *
 * - subject: the caller's Patient (set when missing; another one is a 422);
 * - id and identifier[0]: ours, from the client's identifier when it sent one, else from the
 *   content (code, effective time as sent, value(s), components, source): a re-sent point lands
 *   on the same resource. A client `id` is ignored (the app's BP panel sends a fresh UUID);
 * - date-times without an offset get the person's zone offset; the string as sent stays in the
 *   `original-date-time` extension;
 * - meta.source and the meta.tag with VENDOR_TAG_SYSTEM are the server's (`serverProvenance`):
 *   the source (`manual`, `health_connect`, ...), which the store indexes as `source_vendor` and
 *   the health API reports as `source.vendor`; a client's meta.source is replaced;
 * - every other Reference must name the caller's data (`storeReferencesOf`; the store lookups
 *   follow in the service).
 * Structure is checked afterwards by `assertValidR4`.
 */
import type { Observation } from '@medplum/fhirtypes';
import { normalizeDateTime } from './local-time.ts';
import {
  clientKey,
  isClientIdentifier,
  observationContentKey,
  userObservationIdentity,
} from './write-identity.ts';
import { asResourceOf, bindSubject, type WriteContext } from './write-input.ts';
import { type StoreReference, storeReferencesOf } from './write-references.ts';
import { serverProvenance, type WriteSource, writeSourceOf } from './write-source.ts';

export function prepareObservation(
  body: unknown,
  ctx: WriteContext,
): { resource: Observation & { id: string }; source: WriteSource; references: StoreReference[] } {
  const obs = asResourceOf<Observation>(body, 'Observation');
  bindSubject(obs, 'Observation', ctx.patientId);
  const source = writeSourceOf(obs);
  const key = clientKey(obs.identifier) ?? observationContentKey(obs, source);
  const { identifier, id } = userObservationIdentity(ctx.patientId, source, key);

  const zone = ctx.zone;
  const holder = obs as unknown as Record<string, unknown>;
  normalizeDateTime(holder, 'effectiveDateTime', zone, 'Observation.effectiveDateTime');
  normalizeDateTime(holder, 'effectiveInstant', zone, 'Observation.effectiveInstant');
  normalizeDateTime(holder, 'issued', zone, 'Observation.issued');
  const period = obs.effectivePeriod as Record<string, unknown> | undefined;
  normalizeDateTime(period, 'start', zone, 'Observation.effectivePeriod.start');
  normalizeDateTime(period, 'end', zone, 'Observation.effectivePeriod.end');

  const references = storeReferencesOf(obs, ctx.patientId, 'Observation');
  obs.meta = serverProvenance(obs.meta, source);
  obs.identifier = [identifier, ...(obs.identifier ?? []).filter(isClientIdentifier)];
  const { id: _clientId, resourceType, ...rest } = obs;
  return { resource: { resourceType, id, ...rest } as Observation & { id: string }, source, references };
}
