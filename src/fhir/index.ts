/**
 * The pure FHIR layer: vendor-neutral measurements in, R4 resources and health-API items out.
 * No I/O and no clock anywhere below; pass `now` where status depends on it.
 */
export { toAppView } from './app-view.ts';
export {
  CODES,
  DEVICE_IDENTIFIER_SYSTEM,
  OBSERVATION_IDENTIFIER_SYSTEM,
  PHR_CODE_SYSTEM,
  PHR_FHIR_BASE,
  type TypeCode,
  typeForCode,
  USER_IDENTIFIER_SYSTEM,
  UTC_OFFSET_EXTENSION,
  VENDOR_TAG_SYSTEM,
} from './codes.ts';
export { effectiveRange, type HealthObservation, toHealthObservation } from './health-observation.ts';
export { groupHeartRateSamples, type RawHeartRateSample } from './heart-rate-window.ts';
export { deviceId, deviceIdentifier, observationId, observationIdentifier } from './ids.ts';
export {
  CANONICAL_UNIT,
  isMeasurementType,
  localDateFor,
  MEASUREMENT_TYPES,
  type Measurement,
  type MeasurementSource,
  type MeasurementType,
  type Sample,
  SLEEP_STAGES,
  type SleepStage,
  type WindowSample,
} from './measurement.ts';
export { type ObservationContext, observationStatus, toObservation } from './observation.mapper.ts';
export { type PatientInput, toDevice, toPatient } from './resources.mapper.ts';
export { formatOffset, localDateOf, parseOffset } from './time.ts';
