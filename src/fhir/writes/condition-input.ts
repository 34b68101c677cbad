/**
 * User-written Conditions (the PHR app's symptoms and side effects) -> what the store keeps (pure).
 *
 *   prepareCondition(body, ctx, path?)      -> Condition with our id and identifier[0]
 *   conditionsOfTransaction(bundle, ctx)    -> every entry's Condition (a transaction Bundle
 *                                              POSTed to /fhir/Condition: all entries, not the first)
 *
 * Idempotency: the app's questionnaire sends `identifier[0]` {urn:app:condition-request, value}
 * stable across the retries of one answer; that is the key. Conditions without one (the app's
 * offline queue and simulation Bundle) are keyed by content (code, onset, recorded date, severity).
 * Date-times without an offset get the person's zone offset, the original kept in an extension.
 * meta.source and the vendor tag are the server's (`manual`: a person typed it); every Reference
 * must name the caller's data (`storeReferencesOf`; the store lookups follow in the service).
 */
import type { Bundle, Condition } from '@medplum/fhirtypes';
import { invalidField } from '../../errors.ts';
import { normalizeDateTime } from './local-time.ts';
import { clientKey, conditionContentKey, conditionIdentity, isClientIdentifier } from './write-identity.ts';
import { asResourceOf, bindSubject, type WriteContext } from './write-input.ts';
import { type StoreReference, storeReferencesOf } from './write-references.ts';
import { serverProvenance } from './write-source.ts';

export type StorableCondition = Condition & { id: string };

export interface PreparedCondition {
  resource: StorableCondition;
  references: StoreReference[];
}

export function prepareCondition(body: unknown, ctx: WriteContext, path = 'Condition'): PreparedCondition {
  const condition = asResourceOf<Condition>(body, 'Condition', path === 'Condition' ? undefined : path);
  bindSubject(condition, 'Condition', ctx.patientId, `${path}.subject`);
  const key = clientKey(condition.identifier) ?? conditionContentKey(condition);
  const { identifier, id } = conditionIdentity(ctx.patientId, key);

  const holder = condition as unknown as Record<string, unknown>;
  for (const field of ['onsetDateTime', 'recordedDate', 'abatementDateTime']) {
    normalizeDateTime(holder, field, ctx.zone, `${path}.${field}`);
  }
  for (const [name, period] of [
    ['onsetPeriod', condition.onsetPeriod],
    ['abatementPeriod', condition.abatementPeriod],
  ] as const) {
    const p = period as Record<string, unknown> | undefined;
    normalizeDateTime(p, 'start', ctx.zone, `${path}.${name}.start`);
    normalizeDateTime(p, 'end', ctx.zone, `${path}.${name}.end`);
  }
  const references = storeReferencesOf(condition, ctx.patientId, path);
  condition.meta = serverProvenance(condition.meta, 'manual');
  condition.identifier = [identifier, ...(condition.identifier ?? []).filter(isClientIdentifier)];
  const { id: _clientId, resourceType, ...rest } = condition;
  return { resource: { resourceType, id, ...rest } as StorableCondition, references };
}

/** Every entry of a transaction Bundle of Conditions, each a POST (or PUT) to Condition. */
export function conditionsOfTransaction(bundle: Bundle, ctx: WriteContext): PreparedCondition[] {
  if (bundle.type !== 'transaction') throw invalidField('Bundle.type', "must be 'transaction'");
  const entries = bundle.entry ?? [];
  if (entries.length === 0) throw invalidField('Bundle.entry', 'must hold at least one Condition');
  if (entries.length > 500) throw invalidField('Bundle.entry', 'at most 500 entries');
  return entries.map((entry, i) => {
    const path = `Bundle.entry[${i}]`;
    const method = entry.request?.method;
    const url = entry.request?.url ?? 'Condition';
    if (method !== undefined && method !== 'POST' && method !== 'PUT') {
      throw invalidField(`${path}.request.method`, 'only POST (create) is supported here');
    }
    if (!/^Condition([/?]|$)/.test(url)) throw invalidField(`${path}.request.url`, "must be 'Condition'");
    return prepareCondition(entry.resource, ctx, `${path}.resource`);
  });
}
