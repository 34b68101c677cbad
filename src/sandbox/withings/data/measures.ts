// The measure groups a person's Withings devices make on one local date: Body Cardio weigh-ins
// (three groups each), BPM readings, SpO2 spot checks on the watch, and manual entries. The weight
// follows the Fitbit scale's reading of the same morning (docs/withings.md, The sandbox emulator).

import { createRng, hashSeed, type Rng } from '../../lib/prng.ts';
import { daysBetween, localMinuteToInstant } from '../../lib/time.ts';
import { scaleReading, weightTrendGrams } from '../../people/day.ts';
import type { PersonProfile } from '../../people/model.ts';
import { nightFor } from '../../people/plan.ts';
import { deviceOf, type WithingsDevice } from '../devices.ts';
import type { Measure, MeasureGroup } from '../withings.types.ts';
import { traitsOf } from './traits.ts';

const DAY = 86_400;

/** Measure types by meaning, Withings' meastype numbers. */
export const TYPE = {
  weight: 1,
  height: 4,
  fatFreeMass: 5,
  fatRatio: 6,
  fatMass: 8,
  diastolic: 9,
  systolic: 10,
  pulse: 11,
  spo2: 54,
  bodyTemperature: 71,
  muscleMass: 76,
  hydration: 77,
  boneMass: 88,
  pulseWaveVelocity: 91,
  vascularAge: 155,
} as const;

/** A real value as Withings' integer `value` at a power-of-ten `unit`. */
export function measure(type: number, real: number, unit: number, algo?: { algo: number; fm: number }): Measure {
  return { value: Math.round(real * 10 ** -unit), type, unit, ...(algo ?? {}) };
}

/** Group ids: unique per person and date, apart across people (the last two digits number the day's groups). */
export function groupIdOf(person: PersonProfile, date: string, index: number): number {
  const epochDay = daysBetween('1970-01-01', date);
  return 4_000_000_000 + epochDay * 50_000 + (person.withings.userid % 500) * 100 + index;
}

function group(
  grpid: number,
  attrib: number,
  dateMs: number,
  createdSec: number,
  device: WithingsDevice | undefined,
  measures: Measure[],
  category = 1,
): MeasureGroup {
  return {
    grpid,
    attrib,
    date: Math.floor(dateMs / 1000),
    created: createdSec,
    modified: createdSec,
    category,
    deviceid: device?.deviceid ?? null,
    hash_deviceid: device?.deviceid ?? null,
    measures,
    modelid: device?.modelId ?? null,
    model: device?.model ?? null,
    comment: null,
  };
}

function bodyComposition(weightKg: number, fatRatio: number, rng: Rng): Measure[] {
  const algo = { algo: 3, fm: 131 };
  const fatKg = (weightKg * fatRatio) / 100;
  const fatFree = weightKg - fatKg;
  const muscle = fatFree * 0.95;
  // NOTE: types 5 and 6 come without algo/fm in Withings' own sample; the same quirk here.
  return [
    measure(TYPE.weight, weightKg, rng.pick([-3, -2]), algo),
    measure(TYPE.fatMass, fatKg, rng.pick([-2, -3]), algo),
    measure(TYPE.muscleMass, muscle, -2, algo),
    measure(TYPE.hydration, fatFree * 0.69, -2, algo),
    measure(TYPE.boneMass, fatFree - muscle, -2, algo),
    measure(TYPE.fatRatio, fatRatio, -3),
    measure(TYPE.fatFreeMass, fatFree, rng.pick([-3, -2])),
  ];
}

/** Seconds from a measurement to its arrival; now and then weeks (a scale that was offline). */
function arrivalDelay(rng: Rng, lateChance: number): number {
  return rng.chance(lateChance) ? rng.int(2, 20) * DAY + rng.int(0, DAY) : rng.int(15, 240);
}

export function naturalGroups(person: PersonProfile, date: string): MeasureGroup[] {
  const rng = createRng(hashSeed(person.seed, date, 'withings-measures'));
  const traits = traitsOf(person);
  const tz = person.timeZone;
  const groups: MeasureGroup[] = [];
  let index = 0;
  const nextId = () => groupIdOf(person, date, index++);
  const wake = nightFor(person, date, () => 0).end;

  if (date === person.firstDate) {
    // Entered by hand when the account was set up: height, and the goal weight (category 2).
    const at = localMinuteToInstant(tz, date, 9 * 60);
    const created = Math.floor(at / 1000) + 20;
    groups.push(group(nextId(), 2, at, created, undefined, [measure(TYPE.height, traits.heightCm / 100, -2)]));
    if (person.withings.goals) {
      const goal = [measure(TYPE.weight, traits.goalWeightGrams / 1000, -3, { algo: 0, fm: 0 })];
      groups.push(group(nextId(), 2, at, created, undefined, goal, 2));
    }
  }

  const scale = deviceOf(person, 'scale');
  if (scale && rng.chance(0.7)) {
    const fitbit = person.fitbit ? scaleReading(person, date, 0, wake) : undefined;
    const at = (fitbit ? fitbit.time : wake + rng.int(10, 45) * 60_000) + rng.int(-5, 5) * 60_000;
    const baseGrams = fitbit?.grams ?? weightTrendGrams(person, date) + rng.normal(0, 350);
    const kg = (baseGrams + traits.weightBiasGrams + rng.normal(0, 80)) / 1000;
    const fat = (fitbit?.fat ?? rng.normal(person.bodyFatPercentage, 0.4)) + traits.fatBias;
    const created = Math.floor(at / 1000) + arrivalDelay(rng, 0.04);
    const age = Number(date.slice(0, 4)) - person.birthYear;
    // NOTE: one Body Cardio weigh-in is three groups: composition, standing pulse, and
    // pulse wave velocity + vascular age with attrib 8 (docs/withings.md, The sandbox emulator).
    groups.push(group(nextId(), 0, at, created, scale, bodyComposition(kg, fat, rng)));
    const pulse = person.restingHr + rng.int(8, 16);
    groups.push(
      group(nextId(), 0, at, created, scale, [measure(TYPE.pulse, pulse, rng.pick([0, 0, -2]), { algo: 0, fm: 3 })]),
    );
    const pwv = traits.pulseWaveVelocity + rng.normal(0, 0.15);
    groups.push(
      group(nextId(), 8, at, created, scale, [
        measure(TYPE.pulseWaveVelocity, pwv, -3, { algo: 0, fm: 3 }),
        measure(TYPE.vascularAge, age + traits.vascularAgeDelta, rng.pick([0, -1]), { algo: 0, fm: 3 }),
      ]),
    );
  }

  if (scale && rng.chance(0.04)) {
    // Someone else stepped on the scale: attrib 1, ambiguous (a client should not keep it).
    const at = localMinuteToInstant(tz, date, rng.int(18 * 60, 22 * 60)) + rng.int(0, 59) * 1000;
    const kg = person.weightGrams / 1000 + (rng.chance(0.5) ? -1 : 1) * rng.float(12, 25);
    const created = Math.floor(at / 1000) + rng.int(15, 240);
    groups.push(group(nextId(), 1, at, created, scale, bodyComposition(kg, rng.float(12, 35), rng)));
  }

  const cuff = deviceOf(person, 'bpCuff');
  if (cuff && rng.chance(0.35)) {
    const morning = rng.chance(0.5);
    const at = morning
      ? wake + rng.int(20, 60) * 60_000
      : localMinuteToInstant(tz, date, rng.int(20 * 60, 22 * 60 + 30)) + rng.int(0, 59) * 1000;
    const unit = rng.pick([0, -2]);
    const algo = { algo: 0, fm: 3 };
    const measures = [
      measure(TYPE.systolic, Math.round(traits.systolic + rng.normal(0, 6)), unit, algo),
      measure(TYPE.diastolic, Math.round(traits.diastolic + rng.normal(0, 4)), unit, algo),
      measure(TYPE.pulse, person.restingHr + rng.int(2, 12), unit, algo),
    ];
    // NOTE: attrib 5 is the cuff's auto mode, the best of several readings; keep it like 0.
    const attrib = rng.chance(0.2) ? 5 : 0;
    groups.push(group(nextId(), attrib, at, Math.floor(at / 1000) + rng.int(30, 900), cuff, measures));
  }

  const watch = deviceOf(person, 'watch');
  if (watch && rng.chance(0.15)) {
    const at = localMinuteToInstant(tz, date, rng.int(10 * 60, 21 * 60)) + rng.int(0, 59) * 1000;
    const spo2 = Math.round(Math.min(100, rng.normal(97, 1)));
    groups.push(
      group(nextId(), 0, at, Math.floor(at / 1000) + rng.int(60, 1800), watch, [
        measure(TYPE.spo2, spo2, rng.pick([0, -2]), { algo: 0, fm: 0 }),
      ]),
    );
  }

  const manual = { algo: 0, fm: 0 };
  const manualTime = () => localMinuteToInstant(tz, date, rng.int(12 * 60, 20 * 60)) + rng.int(0, 59) * 1000;
  // Typed in the app, sometimes days later: attrib 2, no device.
  const enteredAt = (at: number) => Math.floor(at / 1000) + (rng.chance(0.3) ? rng.int(1, 3) * DAY : rng.int(5, 60));
  if (rng.chance(0.05)) {
    const at = manualTime();
    const kg = Math.round((weightTrendGrams(person, date) + rng.normal(0, 300)) / 100) / 10;
    groups.push(group(nextId(), 2, at, enteredAt(at), undefined, [measure(TYPE.weight, kg, rng.pick([-1, -2]), manual)]));
  }
  if (rng.chance(0.04)) {
    const at = manualTime();
    const celsius = Math.round(rng.normal(36.8, 0.3) * 100) / 100;
    groups.push(
      group(nextId(), 2, at, enteredAt(at), undefined, [
        measure(TYPE.bodyTemperature, celsius, rng.pick([-2, -3]), manual),
      ]),
    );
  }
  return groups;
}
