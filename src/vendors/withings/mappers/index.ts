/** Pure Withings JSON -> vendor-neutral measurements (src/fhir/measurement.ts), and the tables the connector shares. */
export { mapActivities } from './activity.mapper.ts';
export {
  APPLI,
  type AppliSpec,
  appliesFor,
  MEASTYPE_TYPES,
  typesForAppli,
  WITHINGS_MEASTYPES,
  WITHINGS_TYPES,
  type WithingsAppli,
  type WithingsMeasType,
  type WithingsService,
} from './catalog.ts';
export { mapMeasureGroups } from './measures.mapper.ts';
export {
  type SkipCounts,
  type SkipReason,
  scaleValue,
  VENDOR,
  type WithingsMapContext,
  type WithingsMapResult,
} from './parse.ts';
export { mapSleepSummaries } from './sleep.mapper.ts';
export type * from './withings.types.ts';
