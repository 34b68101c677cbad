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
 * Two old resources may give one id (PHR-Py re-synced a day under a new identifier, or the app
 * re-sent a symptom): the caller merges them (`mergeInto`: the one updated last on the old server wins).
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
}

export interface Migrated<T> {
  resource: T & { id: string };
  /** meta.lastUpdated on the old server ('' when absent). */
  oldUpdated: string;
  /** A Fitbit measurement's type; undefined for user-written data. */
  type: string | undefined;
}

export interface Prepared<T> {
  items: Migrated<T>[];
  skipped: Record<string, number>;
}

export function prepareHistory(olds: readonly Observation[], ctx: HistoryContext): Prepared<Observation> {
  const out: Prepared<Observation> = { items: [], skipped: {} };
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
    const type = c.kind === 'fitbit' ? c.measurement.type : undefined;
    out.items.push({ resource, oldUpdated: old.meta?.lastUpdated ?? '', type });
  }
  return out;
}

export function prepareConditions(olds: readonly Condition[], ctx: HistoryContext): Prepared<Condition> {
  const out: Prepared<Condition> = { items: [], skipped: {} };
  for (const old of olds) {
    const resource = prepareUserWritten(
      () => prepareCondition(withOldIdentity(old, ctx), ctx),
      'Condition',
      out.skipped,
    );
    if (resource) out.items.push({ resource, oldUpdated: old.meta?.lastUpdated ?? '', type: undefined });
  }
  return out;
}

/**
 * Adds items to one person's merged set; returns how many were duplicates. Of two with one id, the
 * one updated later on the old server stays (equal times: the one read later).
 */
export function mergeInto<T>(merged: Map<string, Migrated<T>>, items: readonly Migrated<T>[]): number {
  let duplicates = 0;
  for (const item of items) {
    const held = merged.get(item.resource.id);
    if (held) duplicates++;
    if (!held || item.oldUpdated >= held.oldUpdated) merged.set(item.resource.id, item);
  }
  return duplicates;
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
