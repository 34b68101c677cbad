// What each measurement type is called, how it is shown and charted, and the unit conversions the
// account's preferences ask for (GET /account/preferences). The API keeps canonical units
// (docs/api.md); only the display changes.

/**
 * @typedef {{ distance: 'km' | 'mi', weight: 'kg' | 'lb', temperature: 'C' | 'F' }} Units
 * @typedef {{ name: string, unit: string, digits: number, stat: 'sum' | 'avg', chart: 'bars' | 'points' | 'sleep' | 'pressure', baseline?: boolean, convert?: 'distance' | 'weight' | 'temperature' | 'temperatureDelta' | 'height' }} Measure
 */

/** In the order the trends page lists them. @type {Record<string, Measure>} */
export const MEASURES = {
  steps: { name: 'Steps', unit: 'steps', digits: 0, stat: 'sum', chart: 'bars' },
  calories: { name: 'Energy burned', unit: 'kcal', digits: 0, stat: 'sum', chart: 'bars' },
  distance: { name: 'Distance', unit: 'km', digits: 1, stat: 'sum', chart: 'bars', convert: 'distance' },
  sleep: { name: 'Sleep', unit: 'h', digits: 1, stat: 'sum', chart: 'sleep' },
  resting_heart_rate: {
    name: 'Resting heart rate',
    unit: 'bpm',
    digits: 0,
    stat: 'avg',
    chart: 'points',
    baseline: true,
  },
  hrv_rmssd: {
    name: 'Heart rate variability (HRV)',
    unit: 'ms',
    digits: 0,
    stat: 'avg',
    chart: 'points',
    baseline: true,
  },
  heart_rate: { name: 'Heart rate', unit: 'bpm', digits: 0, stat: 'avg', chart: 'points' },
  respiratory_rate: {
    name: 'Breathing rate',
    unit: 'breaths/min',
    digits: 1,
    stat: 'avg',
    chart: 'points',
    baseline: true,
  },
  spo2: { name: 'Blood oxygen (SpO₂)', unit: '%', digits: 1, stat: 'avg', chart: 'points' },
  skin_temperature_deviation: {
    name: 'Skin temperature change',
    unit: '°C',
    digits: 1,
    stat: 'avg',
    chart: 'points',
    baseline: true,
    convert: 'temperatureDelta',
  },
  skin_temperature: {
    name: 'Skin temperature',
    unit: '°C',
    digits: 1,
    stat: 'avg',
    chart: 'points',
    baseline: true,
    convert: 'temperature',
  },
  body_temperature: {
    name: 'Body temperature',
    unit: '°C',
    digits: 1,
    stat: 'avg',
    chart: 'points',
    convert: 'temperature',
  },
  vo2_max: { name: 'Cardio fitness (VO₂ max)', unit: 'mL/kg/min', digits: 1, stat: 'avg', chart: 'points' },
  blood_pressure: { name: 'Blood pressure', unit: 'mmHg', digits: 0, stat: 'avg', chart: 'pressure' },
  body_weight: { name: 'Weight', unit: 'kg', digits: 1, stat: 'avg', chart: 'points', convert: 'weight' },
  body_fat: { name: 'Body fat', unit: '%', digits: 1, stat: 'avg', chart: 'points' },
  fat_mass: { name: 'Fat mass', unit: 'kg', digits: 1, stat: 'avg', chart: 'points', convert: 'weight' },
  fat_free_mass: {
    name: 'Fat-free mass',
    unit: 'kg',
    digits: 1,
    stat: 'avg',
    chart: 'points',
    convert: 'weight',
  },
  muscle_mass: {
    name: 'Muscle mass',
    unit: 'kg',
    digits: 1,
    stat: 'avg',
    chart: 'points',
    convert: 'weight',
  },
  bone_mass: { name: 'Bone mass', unit: 'kg', digits: 1, stat: 'avg', chart: 'points', convert: 'weight' },
  height: { name: 'Height', unit: 'cm', digits: 0, stat: 'avg', chart: 'points', convert: 'height' },
};

export const TYPES = Object.keys(MEASURES);

/** @param {string} type @returns {Measure} */
export function measureOf(type) {
  return (
    MEASURES[type] ?? { name: type.replaceAll('_', ' '), unit: '', digits: 1, stat: 'avg', chart: 'points' }
  );
}

/**
 * The display unit and converter of a type under the person's units.
 * @param {string} type @param {Units} units
 * @returns {{ unit: string, toDisplay: (v: number) => number, digits: number }}
 */
export function displayOf(type, units) {
  const m = measureOf(type);
  const same = (/** @type {number} */ v) => v;
  switch (m.convert) {
    case 'distance': // canonical: metres
      return units.distance === 'mi'
        ? { unit: 'mi', toDisplay: (v) => v / 1609.344, digits: 2 }
        : { unit: 'km', toDisplay: (v) => v / 1000, digits: 2 };
    case 'weight': // canonical: kg
      return units.weight === 'lb'
        ? { unit: 'lb', toDisplay: (v) => v / 0.45359237, digits: 1 }
        : { unit: 'kg', toDisplay: same, digits: 1 };
    case 'temperature': // canonical: °C
      return units.temperature === 'F'
        ? { unit: '°F', toDisplay: (v) => (v * 9) / 5 + 32, digits: 1 }
        : { unit: '°C', toDisplay: same, digits: 1 };
    case 'temperatureDelta': // a difference: no offset
      return units.temperature === 'F'
        ? { unit: '°F', toDisplay: (v) => (v * 9) / 5, digits: 1 }
        : { unit: '°C', toDisplay: same, digits: 1 };
    case 'height': // canonical: cm
      return units.distance === 'mi'
        ? { unit: 'in', toDisplay: (v) => v / 2.54, digits: 0 }
        : { unit: 'cm', toDisplay: same, digits: 0 };
    default:
      if (type === 'sleep') return { unit: 'h', toDisplay: (v) => v / 60, digits: 1 };
      return { unit: m.unit, toDisplay: same, digits: m.digits };
  }
}

/** "8,042 steps", "72.4 kg", "7 h 12 min" for sleep minutes. @param {string} type @param {number} value @param {Units} units */
export function formatMeasure(type, value, units) {
  if (type === 'sleep') return formatMinutes(value);
  const d = displayOf(type, units);
  const text = new Intl.NumberFormat(undefined, { maximumFractionDigits: d.digits }).format(
    d.toDisplay(value),
  );
  return d.unit === '%' ? `${text}%` : `${text} ${d.unit}`;
}

/** 412 -> "6 h 52 min". @param {number} minutes */
export function formatMinutes(minutes) {
  const m = Math.round(minutes);
  const hours = Math.floor(m / 60);
  return hours > 0 ? `${hours} h ${String(m % 60).padStart(2, '0')} min` : `${m} min`;
}

export const VENDOR_NAMES = /** @type {Record<string, string>} */ ({
  fitbit: 'Fitbit',
  withings: 'Withings',
  google: 'Google Health',
});

/** @param {string | null | undefined} vendor */
export function vendorName(vendor) {
  if (!vendor) return 'Unknown source';
  return VENDOR_NAMES[vendor] ?? vendor;
}

/** Sleep stages in the order they stack (deepest at the bottom), with their colours (styles.css). */
export const SLEEP_STAGES = [
  { key: 'deep', name: 'Deep' },
  { key: 'light', name: 'Light' },
  { key: 'rem', name: 'REM' },
  { key: 'asleep', name: 'Asleep' },
  { key: 'restless', name: 'Restless' },
  { key: 'awake', name: 'Awake' },
];
