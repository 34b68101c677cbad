// Creates a person's stable traits from a seed: physiology, devices and ids.

import { createRng, hashSeed, numericId } from '../lib/prng.ts';
import { type PersonProfile, PHONE, SCALE, TRACKERS, type WithingsAccount } from './model.ts';

const FIRST_NAMES = ['Ada', 'Bashir', 'Chen', 'Dagny', 'Emeka', 'Farah', 'Gustav', 'Hana', 'Iker', 'Jun'];
const LEGACY_ID_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export interface ProfileInput {
  seed: number;
  timeZone: string;
  firstDate: string;
  id?: string;
  /** Default true: the person has a Fitbit (Google Health) account. */
  fitbit?: boolean;
  /** Devices default to scale, cuff and sleep analyzer; a watch for about a third (by seed). */
  withings?: Partial<WithingsAccount>;
}

export function createProfile(input: ProfileInput): PersonProfile {
  const rng = createRng(hashSeed('person', input.seed));
  const id = input.id ?? numericId(rng);
  const hadFitbit = rng.chance(0.8);
  let legacyUserId: string | undefined;
  if (hadFitbit) {
    legacyUserId = '';
    for (let i = 0; i < 6; i++) legacyUserId += rng.pick([...LEGACY_ID_CHARS]);
  }
  const weightKg = Math.round(rng.float(55, 105) * 10) / 10;
  const profile: PersonProfile = {
    id,
    displayName: `${rng.pick(FIRST_NAMES)} ${String.fromCharCode(65 + rng.int(0, 25))}.`,
    timeZone: input.timeZone,
    seed: input.seed,
    firstDate: input.firstDate,
    birthYear: rng.int(1950, 2004),
    restingHr: rng.int(50, 72),
    stepsTarget: rng.int(4000, 13000),
    strideMm: rng.int(650, 800),
    bmrKcal: rng.int(1350, 2000),
    weightGrams: weightKg * 1000,
    bodyFatPercentage: Math.round(rng.float(14, 34) * 10) / 10,
    hrvMs: Math.round(rng.float(22, 75) * 10) / 10,
    breathsPerMinute: Math.round(rng.float(12, 17) * 10) / 10,
    skinTemperatureCelsius: Math.round(rng.float(33.6, 35.2) * 100) / 100,
    tracker: rng.pick(TRACKERS),
    fitbit: input.fitbit ?? true,
    withings: withingsAccount(input),
  };
  if (legacyUserId) profile.legacyUserId = legacyUserId;
  if (rng.chance(0.7)) profile.scale = SCALE;
  if (rng.chance(0.7)) profile.phone = PHONE;
  return profile;
}

/** Drawn from its own stream, so the Google-side traits of a seed stay what they were. */
function withingsAccount(input: ProfileInput): WithingsAccount {
  const rng = createRng(hashSeed('withings-account', input.seed));
  const drawn: WithingsAccount = {
    userid: rng.int(10_000_000, 99_999_999),
    scale: true,
    bpCuff: true,
    sleepAnalyzer: true,
    watch: rng.chance(0.35),
    goals: rng.chance(0.75),
  };
  const chosen = Object.fromEntries(Object.entries(input.withings ?? {}).filter(([, v]) => v !== undefined));
  return { ...drawn, ...chosen };
}
