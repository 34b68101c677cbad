// /measure action=getmeas: measure groups by type, category, date range or lastupdate, paged by
// offset with an integer `more`, under the answer's timezone and server updatetime.

import { invalidParams } from '../envelope.ts';
import { optionalInt, optionalIntList } from '../params.ts';
import type { MeasureGroup } from '../withings.types.ts';
import { type Call, type DataAction, type Json, page } from './call.ts';

const DEFAULT_PAGE = 1000;

function getmeas({ ctx, params, person }: Call): Json {
  const meastype = optionalInt(params, 'meastype');
  const types = new Set([
    ...(meastype === undefined ? [] : [meastype]),
    ...(optionalIntList(params, 'meastypes') ?? []),
  ]);
  const category = optionalInt(params, 'category');
  if (category !== undefined && category !== 1 && category !== 2) throw invalidParams('category');
  const startdate = optionalInt(params, 'startdate');
  const enddate = optionalInt(params, 'enddate');
  const lastupdate = optionalInt(params, 'lastupdate');
  const offset = optionalInt(params, 'offset') ?? 0;
  if (offset < 0) throw invalidParams('offset');
  if (startdate !== undefined && enddate !== undefined && enddate < startdate) throw invalidParams('enddate');
  const matching: MeasureGroup[] = [];
  for (const group of ctx.data.measureGroups(person)) {
    // NOTE: without `category` both real measures (1) and objectives (2) come back (docs/withings.md, The sandbox emulator).
    if (category !== undefined && group.category !== category) continue;
    if (startdate !== undefined && group.date < startdate) continue;
    if (enddate !== undefined && group.date > enddate) continue;
    // NOTE: lastupdate filters on `modified`, inclusive (docs/withings.md, The sandbox emulator).
    if (lastupdate !== undefined && group.modified < lastupdate) continue;
    const measures = types.size ? group.measures.filter((m) => types.has(m.type)) : group.measures;
    if (measures.length === 0) continue;
    matching.push({ ...group, measures: measures.map((m) => ({ ...m })) });
  }
  const size = ctx.options.pageSize ?? DEFAULT_PAGE;
  const { rows, more } = page(matching, offset, size);
  const body: Json = {
    updatetime: Math.floor(ctx.now().getTime() / 1000),
    timezone: person.timeZone,
    measuregrps: rows,
  };
  // NOTE: `more` (an integer here) and `offset` only when the answer is paged, as in Withings' samples.
  if (more || offset > 0) Object.assign(body, { more: more ? 1 : 0, offset: offset + rows.length });
  return body;
}

export const MEASURE_ACTIONS: Record<string, DataAction> = {
  getmeas: { scope: 'user.metrics', run: getmeas },
};
