/** Pure Google Health API v4 JSON -> vendor-neutral measurements (src/fhir/measurement.ts). */
export { mapDailyRollUp, sumIntervalsByLocalDay } from './daily-rollup.mapper.ts';
export { type DailyOffsetContext, mapDataPoints } from './data-points.mapper.ts';
export type * from './google-health.types.ts';
export { toVendorIdentity, type VendorIdentity } from './identity.mapper.ts';
export { offsetFromDuration, VENDOR } from './parse.ts';
export { mapSleep } from './sleep.mapper.ts';
