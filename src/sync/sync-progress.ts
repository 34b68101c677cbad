/**
 * A running sync's progress for the live event stream's `sync.progress` messages (docs/events.md
 * §6), from the run's plan (pure): data types finished and days read, against the totals.
 */

export interface SyncProgress {
  sync_id: string;
  vendor: string;
  types_done: number;
  types_total: number;
  days_done: number;
  days_total: number;
}

type Streams = Record<string, { start: string; end: string; done: string | null }>;

const DAY_MS = 86_400_000;
/** Days from `start` to `end` (local dates, both included), 0 when the range is empty. */
const daysIn = (start: string, end: string) =>
  Math.max(0, Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / DAY_MS) + 1);

export function syncProgress(syncId: string, vendor: string, streams: Streams): SyncProgress {
  let typesDone = 0;
  let daysDone = 0;
  let daysTotal = 0;
  const all = Object.values(streams);
  for (const s of all) {
    const total = daysIn(s.start, s.end);
    const done = s.done === null ? 0 : Math.min(total, daysIn(s.start, s.done));
    daysTotal += total;
    daysDone += done;
    if (done >= total) typesDone += 1;
  }
  return {
    sync_id: syncId,
    vendor,
    types_done: typesDone,
    types_total: all.length,
    days_done: daysDone,
    days_total: daysTotal,
  };
}
