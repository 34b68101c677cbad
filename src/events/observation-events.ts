/**
 * Observation changes -> `observations.created|updated|deleted` events (pure). One event per kind
 * and at most IDS_PER_EVENT ids each, carrying the types and the effective time range of its ids.
 */
import { instantMs } from '../fhir/time.ts';
import type { NewEvent } from './events.types.ts';
import { IDS_PER_EVENT } from './events.types.ts';

export interface ChangedObservation {
  id: string;
  /** Our measurement type, when known. */
  type: string | null;
  /** ISO instant, or null / '-infinity' / 'infinity' when not a finite time. */
  effectiveStart: string | null;
}

export type ObservationChange = 'created' | 'updated' | 'deleted';

export function observationEvents(
  userId: number,
  source: string,
  kind: ObservationChange,
  changed: readonly ChangedObservation[],
): NewEvent[] {
  const out: NewEvent[] = [];
  for (let i = 0; i < changed.length; i += IDS_PER_EVENT) {
    const part = changed.slice(i, i + IDS_PER_EVENT);
    const types = [...new Set(part.flatMap((c) => (c.type ? [c.type] : [])))].sort();
    // Compared as numbers, turned into text once: this runs inside the sync's chunk transaction.
    let start = Number.POSITIVE_INFINITY;
    let end = Number.NEGATIVE_INFINITY;
    for (const c of part) {
      const t = c.effectiveStart;
      if (!t || t === '-infinity' || t === 'infinity') continue;
      const at = instantMs(t);
      if (Number.isNaN(at)) continue;
      if (at < start) start = at;
      if (at > end) end = at;
    }
    const finite = start !== Number.POSITIVE_INFINITY;
    out.push({
      type: `observations.${kind}`,
      payload: {
        user_id: userId,
        source,
        count: part.length,
        types,
        start: finite ? new Date(start).toISOString() : null,
        end: finite ? new Date(end).toISOString() : null,
        ids: part.map((c) => c.id),
      },
    });
  }
  return out;
}

/**
 * An upsert's result -> its `observations.created|updated` events: the changed Observations
 * (inserted or rewritten; unchanged rows are not announced), with type and time from the rows
 * that were written.
 */
export function upsertEvents(
  userId: number,
  source: string,
  changed: readonly { resource_type: string; id: string; inserted: boolean }[],
  rows: readonly { id: string; type: string | null; effective_start: string | null }[],
): NewEvent[] {
  if (changed.length === 0) return [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  const created: ChangedObservation[] = [];
  const updated: ChangedObservation[] = [];
  for (const c of changed) {
    if (c.resource_type !== 'Observation') continue;
    const row = byId.get(c.id);
    const change = { id: c.id, type: row?.type ?? null, effectiveStart: row?.effective_start ?? null };
    (c.inserted ? created : updated).push(change);
  }
  return [
    ...observationEvents(userId, source, 'created', created),
    ...observationEvents(userId, source, 'updated', updated),
  ];
}
