/**
 * Withings `getactivity` days -> daily steps, distance and calories.
 *
 *   mapActivities(body, { userId, fallbackZone? }) -> { measurements, skipped }
 *
 * - Each row is a local calendar day (`date`) in the row's own `timezone`: the measurement covers
 *   that day in the offset the zone has at its start.
 * - steps -> steps (/d), distance (m) -> distance, totalcalories (active + resting kcal) -> calories,
 *   our daily total; `calories` (active only) is not that and is not read.
 * - Only days a Withings tracker recorded are kept: rows with `is_tracker: false` or no `deviceid`
 *   (a phone or a partner app such as Google Fit, brand 18) are skipped as external_source, because
 *   the same steps reach us from that source's own connection and would be counted twice.
 * - Key: `<userid>:activity:<date>:<deviceid>:<type>`; a day re-aggregated later updates it.
 */
import { CANONICAL_UNIT, type Measurement, type MeasurementType } from '../../../fhir/measurement.ts';
import { DAY_MS, formatOffset, localDayStartMs, toLocalIso } from '../../../fhir/time.ts';
import { zoneOffsetAt } from '../../../fhir/zones.ts';
import { modelName } from './catalog.ts';
import {
  amount,
  checkedUserId,
  civilDate,
  emptyResult,
  idText,
  MANUFACTURER,
  skip,
  VENDOR,
  type WithingsMapContext,
  type WithingsMapResult,
  zoneOf,
} from './parse.ts';
import type { ActivityDay, GetActivityBody } from './withings.types.ts';

const FIELDS: readonly [keyof ActivityDay, MeasurementType][] = [
  ['steps', 'steps'],
  ['distance', 'distance'],
  ['totalcalories', 'calories'],
];

export function mapActivities(body: GetActivityBody, ctx: WithingsMapContext): WithingsMapResult {
  const userId = checkedUserId(ctx);
  const result = emptyResult();
  for (const day of body.activities ?? []) {
    // NOTE: phone and partner-app days would double count steps synced from their own source
    // (docs/withings.md "Mapping to FHIR").
    if (day.is_tracker !== true || !day.deviceid) {
      skip(result, 'external_source');
      continue;
    }
    const date = civilDate(day.date);
    const deviceId = idText(day.deviceid);
    if (date === undefined || deviceId === undefined) {
      skip(result, 'invalid');
      continue;
    }
    const zone = zoneOf(day.timezone, ctx);
    const offset = formatOffset(zoneOffsetAt(zone, Date.parse(`${date}T00:00:00Z`)));
    const startMs = localDayStartMs(date, offset);
    const deviceName = modelName(day.model, day.modelid ?? day.model_id);
    const source: Measurement['source'] = {
      vendor: VENDOR,
      deviceId,
      ...(deviceName ? { deviceName } : {}),
      manufacturer: MANUFACTURER,
    };
    for (const [field, type] of FIELDS) {
      const raw = day[field];
      if (raw === undefined || raw === null) continue; // not asked for, or no data that day
      const value = amount(raw);
      if (value === undefined) {
        skip(result, 'invalid');
        continue;
      }
      result.measurements.push({
        type,
        value,
        unit: CANONICAL_UNIT[type],
        start: toLocalIso(startMs, offset),
        end: toLocalIso(startMs + DAY_MS, offset),
        utcOffset: offset,
        localDate: date,
        source,
        vendorKey: `${userId}:activity:${date}:${deviceId}:${type}`,
        daily: true,
      });
    }
  }
  return result;
}
