// A person's Withings-side traits, drawn from the person's seed: device calibration against the
// Fitbit (close, never identical), blood pressure, sync habits. Pure and cached per profile.

import { createRng, hashSeed } from '../../lib/prng.ts';
import type { PersonProfile } from '../../people/model.ts';

export interface WithingsTraits {
  /** The Body Cardio reads this much more than the Fitbit scale (grams, |bias| >= 60). */
  weightBiasGrams: number;
  /** Its fat ratio reads this much more (percentage points). */
  fatBias: number;
  systolic: number;
  diastolic: number;
  pulseWaveVelocity: number;
  vascularAgeDelta: number;
  heightCm: number;
  /** The watch counts this fraction of the Fitbit tracker's steps. */
  watchFactor: number;
  /** Minute of the half hour at which the watch syncs. */
  syncOffsetMinutes: number;
  /** Heart-rate samples on the watch: every 10 minutes at this minute (and every walking minute). */
  hrMinute: number;
  goalWeightGrams: number;
}

const cache = new WeakMap<PersonProfile, WithingsTraits>();

export function traitsOf(person: PersonProfile): WithingsTraits {
  const cached = cache.get(person);
  if (cached) return cached;
  const rng = createRng(hashSeed(person.seed, 'withings-traits'));
  const sign = () => (rng.chance(0.5) ? -1 : 1);
  const traits: WithingsTraits = {
    weightBiasGrams: sign() * rng.int(60, 300),
    fatBias: Math.round(sign() * rng.float(0.3, 1.5) * 10) / 10,
    systolic: rng.int(105, 140),
    diastolic: rng.int(65, 88),
    pulseWaveVelocity: Math.round(rng.float(6, 9.5) * 100) / 100,
    vascularAgeDelta: rng.int(-8, 8),
    heightCm: rng.int(152, 195),
    watchFactor: 1 + sign() * rng.float(0.01, 0.04),
    syncOffsetMinutes: rng.int(0, 29),
    hrMinute: rng.int(0, 9),
    goalWeightGrams: Math.round((person.weightGrams - rng.int(0, 8) * 1000) / 500) * 500,
  };
  cache.set(person, traits);
  return traits;
}
