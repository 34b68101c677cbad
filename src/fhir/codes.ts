/**
 * The one code table: per measurement type, its FHIR code, UCUM unit, category, profile and
 * whether it is a daily aggregate. Everything else (mapper, reverse mapper, docs) reads from here.
 *
 *   CODES[type]            -> TypeCode
 *   typeForCode(sys, code) -> MeasurementType | undefined   (reverse lookup, O(1))
 *
 * Project URIs live here too; they are identifiers, not endpoints, and must never change
 * (identifiers and ids are derived from them).
 */
import type { Coding } from '@medplum/fhirtypes';
import type { BloodPressurePart, ComponentName, MeasurementType, SleepStage } from './measurement.ts';

/** Root of every project-defined URI. Stable forever, independent of where the app is deployed. */
export const PHR_FHIR_BASE = 'https://phr.example/fhir';
/**
 * Project CodeSystem for what LOINC has no code for (RMSSD, skin temperature deviation, bone mass, ...),
 * and the second coding beside a LOINC code that could not be verified (docs/fhir.md "Mapping table").
 */
export const PHR_CODE_SYSTEM = `${PHR_FHIR_BASE}/CodeSystem/phr-observation`;
export const OBSERVATION_IDENTIFIER_SYSTEM = `${PHR_FHIR_BASE}/identifier/observation`;
export const DEVICE_IDENTIFIER_SYSTEM = `${PHR_FHIR_BASE}/identifier/device`;
export const USER_IDENTIFIER_SYSTEM = `${PHR_FHIR_BASE}/identifier/user`;
/** meta.tag system naming the vendor a resource came from (`_tag` searchable, read back cheaply). */
export const VENDOR_TAG_SYSTEM = `${PHR_FHIR_BASE}/CodeSystem/vendor`;
/**
 * UTC offset of a date-only effectiveDateTime ('+05:30').
 * NOTE: the core `tz-offset` extension means the same but its R4 context is `date` only, not
 * `dateTime`, so a strict validator would reject it here (R4 extension-tz-offset.json).
 */
export const UTC_OFFSET_EXTENSION = `${PHR_FHIR_BASE}/StructureDefinition/utc-offset`;

export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
export const OBSERVATION_CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/observation-category';

const PROFILE = 'http://hl7.org/fhir/StructureDefinition/';

export type ObservationCategory = 'vital-signs' | 'activity' | 'exam' | 'laboratory';

export interface TypeCode {
  /** code.coding; the first is the primary code (what `toHealthObservation` reports). */
  coding: readonly [Required<Pick<Coding, 'system' | 'code' | 'display'>>, ...Coding[]];
  /** code.text: a short human label. */
  text: string;
  /** valueQuantity.code / .unit in FHIR. */
  ucum: string;
  ucumDisplay: string;
  /** unit / unit_display in the health API (docs/api.md canonical unit). */
  apiUnit: string;
  apiUnitDisplay: string;
  category: ObservationCategory;
  /** meta.profile claimed, when an R4 profile fits. */
  profile?: string;
  /** A daily aggregate by default (the measurement's own `daily` flag decides the mapping). */
  daily: boolean;
  /**
   * A panel: no top-level value, the numbers are components (blood pressure; the R4 bp profile
   * forbids `valueQuantity`). The health API's `value` is then the first part (systolic).
   */
  panel?: boolean;
}

const loinc = (code: string, display: string) => ({ system: LOINC, code, display });
const phr = (code: string, display: string) => ({ system: PHR_CODE_SYSTEM, code, display });

export const CODES: Readonly<Record<MeasurementType, TypeCode>> = {
  heart_rate: {
    coding: [loinc('8867-4', 'Heart rate')],
    text: 'Heart rate',
    ...units('/min', 'beats/minute'),
    category: 'vital-signs',
    profile: `${PROFILE}heartrate`,
    daily: false,
  },
  resting_heart_rate: {
    // NOTE: no 8867-4 coding beside it, or `code=8867-4` searches would return resting values (docs/fhir.md).
    coding: [loinc('40443-4', 'Heart rate --resting')],
    text: 'Resting heart rate',
    ...units('/min', 'beats/minute'),
    category: 'vital-signs',
    profile: `${PROFILE}vitalsigns`,
    daily: true,
  },
  spo2: {
    // NOTE: 2708-6 is what the R4 oxygensat profile requires; 59408-5 is what US Core pulse-oximetry adds.
    coding: [
      loinc('2708-6', 'Oxygen saturation in Arterial blood'),
      loinc('59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry'),
    ],
    text: 'Oxygen saturation',
    ...units('%', '%'),
    category: 'vital-signs',
    profile: `${PROFILE}oxygensat`,
    daily: true,
  },
  body_weight: {
    coding: [loinc('29463-7', 'Body weight')],
    text: 'Body weight',
    ...units('kg', 'kg'),
    category: 'vital-signs',
    profile: `${PROFILE}bodyweight`,
    daily: false,
  },
  steps: {
    coding: [loinc('41950-7', 'Number of steps in 24 hour Measured')],
    text: 'Steps',
    ...units('/d', 'steps/day'),
    category: 'activity',
    daily: true,
  },
  calories: {
    // Daily total energy burned: 41979-6 is the 24-hour code the HL7 Physical Activity IG uses, with
    // UCUM kcal/d; 41981-2 has no time aspect. The health API keeps `kcal` (docs/api.md canonical unit).
    coding: [loinc('41979-6', 'Calories burned in 24 hour Calculated')],
    text: 'Calories burned',
    ucum: 'kcal/d',
    ucumDisplay: 'kcal/day',
    apiUnit: 'kcal',
    apiUnitDisplay: 'kcal',
    category: 'activity',
    daily: true,
  },
  distance: {
    coding: [loinc('41953-1', 'Walking distance 24 hour Calculated')],
    text: 'Distance',
    ...units('m', 'm'),
    category: 'activity',
    daily: true,
  },
  hrv_rmssd: {
    // NOTE: LOINC 80404-7 is SDNN, not RMSSD; no LOINC code for RMSSD was found (docs/fhir.md).
    coding: [phr('hrv-rmssd', 'Heart rate variability, RMSSD')],
    text: 'Heart rate variability (RMSSD)',
    ...units('ms', 'ms'),
    category: 'vital-signs',
    profile: `${PROFILE}vitalsigns`,
    daily: true,
  },
  respiratory_rate: {
    coding: [loinc('9279-1', 'Respiratory rate')],
    text: 'Respiratory rate',
    ...units('/min', 'breaths/minute'),
    category: 'vital-signs',
    profile: `${PROFILE}resprate`,
    daily: true,
  },
  sleep: {
    coding: [loinc('93832-4', 'Sleep duration')],
    text: 'Sleep',
    ...units('min', 'min'),
    // NOTE: R4 observation-category `activity` names "sleep data" in its definition.
    category: 'activity',
    daily: false,
  },
  body_fat: {
    coding: [loinc('41982-0', 'Percentage of body fat Measured')],
    text: 'Body fat',
    ...units('%', '%'),
    category: 'vital-signs',
    profile: `${PROFILE}vitalsigns`,
    daily: false,
  },
  skin_temperature_deviation: {
    // NOTE: nightly skin temperature minus the 30-day baseline; no LOINC code (PHR IG has none either).
    // `Cel` is kept for a difference because docs/api.md names it; numerically a Celsius difference equals K.
    coding: [phr('skin-temperature-deviation', 'Skin temperature deviation from baseline during sleep')],
    text: 'Skin temperature deviation',
    ...units('Cel', '°C'),
    category: 'vital-signs',
    profile: `${PROFILE}vitalsigns`,
    daily: true,
  },
  vo2_max: {
    // NOTE: LOINC 94122-9 is VO2/body weight peak *during an exercise test*; a wearable's estimate is not that.
    coding: [phr('vo2-max', 'VO2 max, estimated')],
    text: 'VO2 max',
    ...units('mL/kg/min', 'mL/kg/min'),
    category: 'activity',
    daily: true,
  },
  blood_pressure: {
    // NOTE: one Observation per reading, both pressures as components (R4 bp profile: valueQuantity 0..0).
    coding: [loinc('85354-9', 'Blood pressure panel with all children optional')],
    text: 'Blood pressure',
    ...units('mm[Hg]', 'mmHg'),
    category: 'vital-signs',
    profile: `${PROFILE}bp`,
    daily: false,
    panel: true,
  },
  body_temperature: {
    coding: [loinc('8310-5', 'Body temperature')],
    text: 'Body temperature',
    ...units('Cel', '°C'),
    category: 'vital-signs',
    profile: `${PROFILE}bodytemp`,
    daily: false,
  },
  skin_temperature: {
    // NOTE: absolute skin temperature, never the deviation above. 39106-0 is a candidate LOINC code,
    // not verified: the project coding beside it keeps the record lossless (docs/fhir.md).
    coding: [loinc('39106-0', 'Temperature of Skin'), phr('skin-temperature', 'Skin temperature')],
    text: 'Skin temperature',
    ...units('Cel', '°C'),
    category: 'vital-signs',
    profile: `${PROFILE}vitalsigns`,
    daily: false,
  },
  fat_mass: {
    // NOTE: candidate LOINC code (not verified), hence the project coding beside it (docs/fhir.md).
    coding: [loinc('73708-0', 'Body fat [Mass] Calculated'), phr('fat-mass', 'Fat mass')],
    text: 'Fat mass',
    ...units('kg', 'kg'),
    category: 'exam',
    daily: false,
  },
  fat_free_mass: {
    // NOTE: candidate: 91557-9 is lean body weight, taken as fat-free mass (docs/fhir.md).
    coding: [loinc('91557-9', 'Lean body weight'), phr('fat-free-mass', 'Fat-free mass')],
    text: 'Fat-free mass',
    ...units('kg', 'kg'),
    category: 'exam',
    daily: false,
  },
  muscle_mass: {
    // NOTE: candidate LOINC code (not verified), hence the project coding beside it (docs/fhir.md).
    coding: [loinc('73964-9', 'Body muscle mass'), phr('muscle-mass', 'Muscle mass')],
    text: 'Muscle mass',
    ...units('kg', 'kg'),
    category: 'exam',
    daily: false,
  },
  bone_mass: {
    // NOTE: no LOINC code found for a scale's bone mass estimate.
    coding: [phr('bone-mass', 'Bone mass')],
    text: 'Bone mass',
    ...units('kg', 'kg'),
    category: 'exam',
    daily: false,
  },
  height: {
    coding: [loinc('8302-2', 'Body height')],
    text: 'Body height',
    ...units('cm', 'cm'),
    category: 'vital-signs',
    profile: `${PROFILE}bodyheight`,
    daily: false,
  },
  hrv_sdnn: {
    // NOTE: Apple Health's HRV is SDNN (HKQuantityTypeIdentifierHeartRateVariabilitySDNN), never mixed
    // with RMSSD above: a different statistic of the same beats, with its own LOINC code.
    coding: [loinc('80404-7', 'R-R interval.standard deviation (Heart rate variability)')],
    text: 'Heart rate variability (SDNN)',
    ...units('ms', 'ms'),
    category: 'vital-signs',
    profile: `${PROFILE}vitalsigns`,
    daily: false,
  },
  blood_glucose: {
    // Mass concentration: readings in mmol/L are converted once, in the importer (18.0156 mg/dL per mmol/L).
    coding: [loinc('2339-0', 'Glucose [Mass/volume] in Blood')],
    text: 'Blood glucose',
    ...units('mg/dL', 'mg/dL'),
    category: 'laboratory',
    daily: false,
  },
};

/** Sleep stage component codes. LOINC where one exists; the parent 93832-4 must not repeat (obs-7). */
export const SLEEP_STAGE_CODES: Readonly<
  Record<SleepStage, Required<Pick<Coding, 'system' | 'code' | 'display'>>>
> = {
  deep: loinc('93831-6', 'Deep sleep duration'),
  light: loinc('93830-8', 'Light sleep duration'),
  rem: loinc('93829-0', 'REM sleep duration'),
  awake: phr('sleep-awake', 'Awake time during sleep period'),
  asleep: phr('sleep-asleep', 'Asleep time, stage not classified'),
  restless: phr('sleep-restless', 'Restless time during sleep period'),
};

/** Blood-pressure component codes (the R4 bp profile's SystolicBP and DiastolicBP slices). */
export const BLOOD_PRESSURE_CODES: Readonly<
  Record<BloodPressurePart, Required<Pick<Coding, 'system' | 'code' | 'display'>>>
> = {
  systolic: loinc('8480-6', 'Systolic blood pressure'),
  diastolic: loinc('8462-4', 'Diastolic blood pressure'),
};

/** Observation.method of a value the person typed in (MeasurementSource.userEntered). */
export const USER_ENTERED_METHOD: Readonly<{ coding: readonly Readonly<Coding>[]; text: string }> = {
  coding: [phr('user-entered', 'Entered by the person, not measured by a device')],
  text: 'User-entered',
};

/** Component code of the heart-rate SampledData (differs from 8867-4, which obs-7 forbids repeating). */
export const HEART_RATE_SAMPLES_CODE = phr('heart-rate-samples', 'Heart rate samples');

/**
 * Component code of a night's stage sequence (hypnogram) as SampledData: one stage number per epoch
 * (src/fhir/sleep-stages.ts, docs/fhir.md "Sleep stages over the night").
 */
export const SLEEP_STAGE_SEQUENCE_CODE = phr('sleep-stage-sequence', 'Sleep stage per epoch over the night');

// Every coding of a type maps back to it: PHR-App posts SpO2 coded 59408-5 alone (docs/mobile-app.md "What the app calls", "What it POSTs").
const BY_CODE = new Map<string, MeasurementType>();
for (const [type, entry] of Object.entries(CODES) as [MeasurementType, TypeCode][]) {
  for (const c of entry.coding) BY_CODE.set(`${c.system}|${c.code}`, type);
}

/** Reverse lookup from a coding (pass an Observation's first coding). */
export function typeForCode(
  system: string | undefined,
  code: string | undefined,
): MeasurementType | undefined {
  return BY_CODE.get(`${system}|${code}`);
}

const COMPONENT_BY_CODE = new Map<string, ComponentName>(
  (
    [...Object.entries(SLEEP_STAGE_CODES), ...Object.entries(BLOOD_PRESSURE_CODES)] as [
      ComponentName,
      Coding,
    ][]
  ).map(([name, c]) => [`${c.system}|${c.code}`, name]),
);

/** The sleep stage or blood-pressure part a component's coding names. */
export function componentForCode(
  system: string | undefined,
  code: string | undefined,
): ComponentName | undefined {
  return COMPONENT_BY_CODE.get(`${system}|${code}`);
}

function units(ucum: string, display: string) {
  return { ucum, ucumDisplay: display, apiUnit: ucum, apiUnitDisplay: display };
}
