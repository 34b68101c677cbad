// /v2/measure: getactivity (daily rows, boolean `more`), getintradayactivity (series keyed by epoch
// strings, 24 h at most) and getworkouts (answered empty: the sandbox records no workouts).

import { invalidParams } from '../envelope.ts';
import { dataFields, optionalInt } from '../params.ts';
import type { ActivityRow } from '../withings.types.ts';
import { type Call, type DataAction, type Json, page } from './call.ts';
import { daySelection, offsetOf, selects } from './windows.ts';

const ACTIVITY_PAGE = 200;
const WORKOUT_PAGE = 200;
const DAY = 86_400;

const DATA_FIELDS = new Set([
  'steps',
  'distance',
  'elevation',
  'soft',
  'moderate',
  'intense',
  'active',
  'calories',
  'totalcalories',
  'hr_average',
  'hr_min',
  'hr_max',
  'hr_zone_0',
  'hr_zone_1',
  'hr_zone_2',
  'hr_zone_3',
]);

/** Keeps the row's metadata and the data fields asked for (all of them without data_fields). */
function project(row: ActivityRow, fields: Set<string> | undefined): Json {
  if (!fields) return { ...row };
  return Object.fromEntries(Object.entries(row).filter(([key]) => !DATA_FIELDS.has(key) || fields.has(key)));
}

function getactivity({ ctx, params, person }: Call): Json {
  const selection = daySelection(params);
  const offset = offsetOf(params);
  const fields = dataFields(params);
  const rows = ctx.data.activityRows(person).filter((row) => selects(selection, row.date, row.modified));
  const size = ctx.options.pageSize ?? ACTIVITY_PAGE;
  const paged = page(rows, offset, size);
  // NOTE: `more` is a boolean here and `offset` can be non-zero with more:false (docs/withings.md, The sandbox emulator).
  return { activities: paged.rows.map((r) => project(r, fields)), more: paged.more, offset: offset + size };
}

function getintradayactivity({ ctx, params, person }: Call): Json {
  const now = Math.floor(ctx.now().getTime() / 1000);
  let start = optionalInt(params, 'startdate');
  let end = optionalInt(params, 'enddate');
  if (start === undefined && end === undefined) {
    // With no dates: the most recent day of data.
    end = now;
    start = now - DAY;
  } else if (start === undefined) start = (end as number) - DAY;
  else if (end === undefined) end = start + DAY;
  if ((end as number) < start) throw invalidParams('enddate');
  // NOTE: more than 24 h apart: only the first 24 h after startdate (docs/withings.md, The sandbox emulator).
  const to = Math.min(end as number, start + DAY);
  const series = ctx.data.intraday(person, start * 1000, to * 1000 + 1, dataFields(params));
  // NOTE: an empty series is a JSON array, as PHP encodes an empty map (like `goals: []`).
  return { series: Object.keys(series).length ? series : [] };
}

function getworkouts({ ctx, params }: Call): Json {
  daySelection(params);
  const offset = offsetOf(params);
  return { series: [], more: false, offset: offset + (ctx.options.pageSize ?? WORKOUT_PAGE) };
}

export const MEASURE_V2_ACTIONS: Record<string, DataAction> = {
  getactivity: { scope: 'user.activity', run: getactivity },
  getintradayactivity: { scope: 'user.activity', run: getintradayactivity },
  getworkouts: { scope: 'user.activity', run: getworkouts },
};
