// The date selection shared by getactivity, getsummary and getworkouts: startdateymd + enddateymd
// (local dates, inclusive) or lastupdate (on `modified`), never both.

import { invalidParams } from '../envelope.ts';
import { optionalInt, optionalYmd } from '../params.ts';
import type { Params } from '../withings.types.ts';

export type DaySelection = { from: string; to: string } | { lastupdate: number };

export function daySelection(params: Params): DaySelection {
  const from = optionalYmd(params, 'startdateymd');
  const to = optionalYmd(params, 'enddateymd');
  const lastupdate = optionalInt(params, 'lastupdate');
  // NOTE: mixing the two is refused with 503 (docs/withings.md, The sandbox emulator).
  if (lastupdate !== undefined && (from !== undefined || to !== undefined)) throw invalidParams('lastupdate');
  if (lastupdate !== undefined) return { lastupdate };
  if (from === undefined) throw invalidParams('startdateymd');
  if (to === undefined) throw invalidParams('enddateymd');
  return { from, to };
}

export function selects(selection: DaySelection, date: string, modified: number): boolean {
  return 'lastupdate' in selection
    ? modified >= selection.lastupdate
    : date >= selection.from && date <= selection.to;
}

export function offsetOf(params: Params): number {
  const offset = optionalInt(params, 'offset') ?? 0;
  if (offset < 0) throw invalidParams('offset');
  return offset;
}
