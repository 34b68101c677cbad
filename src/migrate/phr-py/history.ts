/**
 * One person's FHIR data on the old server -> the resources this backend keeps (pure per resource).
 *
 *   prepareHistory(old Observations, ctx) -> { resources, byType, userWritten, duplicates, skipped }
 *   prepareConditions(old Conditions, ctx) -> { resources, duplicates, skipped }
 *
 * Fitbit history: measurements with source `fitbit_legacy`, mapped by toObservation like synced
 * data (deterministic id from patient + source + type + local day or instant), meta.source naming
 * the old server's resource and the old identifier kept beside ours (provenance).
 * The rest is user-written: prepared exactly like POST /fhir/Observation and /fhir/Condition, with
 * the old server's id as a client identifier (its provenance), so a re-run lands on the same resource.
 * `seen`: the ids met so far for this person (across pages): a second old resource with the same
 * id (PHR-Py re-synced a day, or the app re-sent a symptom) is a duplicate, merged (the later wins).
 */
import type { Condition, Identifier, Observation } from '@medplum/fhirtypes';
import { AppError } from '../../errors.ts';
import { toObservation } from '../../fhir/observation.mapper.ts';
import { prepareCondition } from '../../fhir/writes/condition-input.ts';
import { prepareObservation } from '../../fhir/writes/observation-input.ts';
import { assertValidR4 } from '../../fhir/writes/r4-validator.ts';
import { classifyObservation } from './observation.mapper.ts';

export interface HistoryContext {
  patientId: string;
  /** The old server's Patient id of this person (what their old resources reference). */
  oldPatientId: string;
  zone: string;
  /** The old FHIR server's base URL (provenance). */
  sourceBase: string;
  now: Date;
  seen: Set<string>;
}

export interface Prepared<T> {
  resources: (T & { id: string })[];
  /** Fitbit history by measurement type. */
  byType: Record<string, number>;
  userWritten: number;
  duplicates: number;
  skipped: Record<string, number>;
}

export function prepareHistory(olds: readonly Observation[], ctx: HistoryContext): Prepared<Observation> {
  const out: Prepared<Observation> = {
    resources: [],
    byType: {},
    userWritten: 0,
    duplicates: 0,
    skipped: {},
  };
  for (const old of olds) {
    const c = classifyObservation(old, { zone: ctx.zone });
    if (c.kind === 'skip') {
      count(out.skipped, `Observation: ${c.reason}`);
      continue;
    }
    let resource: Observation & { id: string };
    if (c.kind === 'fitbit') {
      const obs = toObservation(c.measurement, {
        patientId: ctx.patientId,
        now: ctx.now,
        sourceUri: provenance(ctx, old),
      });
      obs.identifier = [...(obs.identifier ?? []), c.oldIdentifier];
      resource = obs as Observation & { id: string };
    } else {
      const prepared = prepareUserWritten(
        () => prepareObservation(withOldIdentity(c.body, ctx), ctx),
        'Observation',
        out.skipped,
      );
      if (!prepared) continue;
      resource = prepared;
    }
    if (ctx.seen.has(resource.id)) out.duplicates++;
    else {
      ctx.seen.add(resource.id);
      if (c.kind === 'fitbit') count(out.byType, c.measurement.type);
      else out.userWritten++;
    }
    out.resources.push(resource);
  }
  return out;
}

export function prepareConditions(olds: readonly Condition[], ctx: HistoryContext): Prepared<Condition> {
  const out: Prepared<Condition> = { resources: [], byType: {}, userWritten: 0, duplicates: 0, skipped: {} };
  for (const old of olds) {
    const resource = prepareUserWritten(
      () => prepareCondition(withOldIdentity(old, ctx), ctx),
      'Condition',
      out.skipped,
    );
    if (!resource) continue;
    if (ctx.seen.has(resource.id)) out.duplicates++;
    else {
      ctx.seen.add(resource.id);
      out.userWritten++;
    }
    out.resources.push(resource);
  }
  return out;
}

/** meta.source of migrated data: the old server's resource it came from. */
function provenance(ctx: HistoryContext, old: { resourceType: string; id?: string | undefined }): string {
  return `${ctx.sourceBase}/${old.resourceType}/${old.id ?? ''}`;
}

/**
 * The old resource as the app would POST it now: our subject, and the old server's id appended as a
 * client identifier (after the app's own one, which stays the key when present).
 */
function withOldIdentity<T extends Observation | Condition>(old: T, ctx: HistoryContext): T {
  const oldId: Identifier[] = old.id
    ? [{ system: `${ctx.sourceBase}/${old.resourceType}`, value: old.id }]
    : [];
  const subject = old.subject?.reference;
  const ownSubject =
    subject === undefined || subject === `Patient/${ctx.oldPatientId}` || subject === ctx.oldPatientId;
  return {
    ...old,
    ...(ownSubject ? { subject: { reference: `Patient/${ctx.patientId}` } } : {}),
    identifier: [...(old.identifier ?? []), ...oldId],
  };
}

/** The write path's checks; a refusal is a skip with the field it names, never a stop. */
function prepareUserWritten<T extends Observation | Condition>(
  prepare: () => { resource: T & { id: string }; references: readonly unknown[] },
  type: string,
  skipped: Record<string, number>,
): (T & { id: string }) | undefined {
  try {
    const { resource, references } = prepare();
    // Links to other old resources cannot be checked as the caller's own here: left behind.
    if (references.length > 0) {
      count(skipped, `${type}: references other resources`);
      return undefined;
    }
    assertValidR4(resource);
    return resource;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const field = err.errors?.[0]?.field;
    count(
      skipped,
      `${type}: not accepted by the write path${field ? ` (${field.replace(/\[\d+\]/g, '[]')})` : ''}`,
    );
    return undefined;
  }
}

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}
