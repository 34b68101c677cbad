/**
 * The pure FHIR layer: vendor-neutral measurements in, R4 resources and health-API items out.
 * No I/O and no clock anywhere below; pass `now` where status depends on it.
 */
export { toAppView } from './app-view.ts';
export { CODES, typeForCode } from './codes.ts';
export { effectiveRange, type HealthObservation, toHealthObservation } from './health-observation.ts';
export { groupHeartRateSamples } from './heart-rate-window.ts';
export {
  CANONICAL_UNIT,
  localDateFor,
  MEASUREMENT_TYPES,
  type Measurement,
  type MeasurementType,
  SLEEP_STAGES,
} from './measurement.ts';
export { toObservation } from './observation.mapper.ts';
export { toDevice, toPatient } from './resources.mapper.ts';
