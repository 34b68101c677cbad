/**
 * Idempotency keys of user-written resources (pure), so a retried or re-sent upload updates the
 * resource it already made instead of adding a second one.
 *
 *   clientKey(identifiers)                 -> 'client:<hash>' of the first client identifier, or undefined
 *   observationContentKey(obs, source)     -> 'content:<hash>' of code, effective time, value(s), source
 *   conditionContentKey(condition)         -> 'content:<hash>' of code, onset, recorded date, severity
 *   userObservationIdentity(patientId, source, key) -> { identifier, id }
 *   conditionIdentity(patientId, key)               -> { identifier, id }
 *
 * Our identifier always comes first (the store upserts on identifier[0], and the replication's
 * conditional update matches on it): it holds the patient, so two people's equal keys never meet,
 * here or at an external FHIR server. The client's own identifiers are kept after it.
 * NOTE: the content key reads the times exactly as sent (before an offset is attached), so a
 * re-send is recognised even if the person's time zone changed in between.
 */
import { createHash } from 'node:crypto';
import type { Condition, Identifier, Observation } from '@medplum/fhirtypes';
import { PHR_FHIR_BASE } from '../codes.ts';
import { observationId, observationIdentifier, uuidV5 } from '../ids.ts';
import { canonicalJson } from '../store/resource-row.ts';
import { inServerNamespace } from './write-source.ts';

const CONDITION_IDENTIFIER_SYSTEM = `${PHR_FHIR_BASE}/identifier/condition`;

type Identity = { identifier: Required<Pick<Identifier, 'system' | 'value'>>; id: string };

/** The first identifier the client gave (not one of ours), as a key. */
export function clientKey(identifiers: Identifier[] | undefined): string | undefined {
  const first = identifiers?.find((i) => isClientIdentifier(i) && i.value);
  return first ? `client:${digest(`${first.system ?? ''}|${first.value}`)}` : undefined;
}

/** Identifiers in our namespace are the server's (ours, or a synced resource's): never a client's. */
export function isClientIdentifier(i: Identifier): boolean {
  return !inServerNamespace(i.system);
}

export function observationContentKey(obs: Observation, source: string): string {
  return `content:${digest(
    canonicalJson({
      source,
      code: codings(obs.code),
      effective: obs.effectiveDateTime ?? obs.effectivePeriod ?? obs.effectiveInstant ?? null,
      value: valuesOf(obs as unknown as Record<string, unknown>),
      component: (obs.component ?? []).map((c) => ({
        code: codings(c.code),
        value: valuesOf(c as unknown as Record<string, unknown>),
      })),
    }),
  )}`;
}

export function conditionContentKey(condition: Condition): string {
  return `content:${digest(
    canonicalJson({
      code: codings(condition.code) ?? condition.code?.text ?? null,
      onset: condition.onsetDateTime ?? condition.onsetPeriod ?? condition.onsetString ?? null,
      recorded: condition.recordedDate ?? null,
      severity: codings(condition.severity),
    }),
  )}`;
}

export function userObservationIdentity(patientId: string, source: string, key: string): Identity {
  const identifier = observationIdentifier(patientId, source, key);
  return { identifier, id: observationId(identifier) };
}

export function conditionIdentity(patientId: string, key: string): Identity {
  const identifier = { system: CONDITION_IDENTIFIER_SYSTEM, value: `${patientId}:user:${key}` };
  return { identifier, id: uuidV5(`Condition|${identifier.system}|${identifier.value}`) };
}

function codings(cc: { coding?: { system?: string; code?: string }[] } | undefined): string[] | null {
  const list = (cc?.coding ?? []).map((c) => `${c.system ?? ''}|${c.code ?? ''}`);
  return list.length > 0 ? list : null;
}

/** Every value[x] of an element, e.g. { valueQuantity: { value: 72, code: '/min', ... } }. */
function valuesOf(element: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(element)) if (k.startsWith('value')) out[k] = v;
  return out;
}

function digest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url').slice(0, 32);
}
