// Deterministic randomness for the synthetic people: same seed, same data, on every machine.
// Math.random is never used in the sandbox's data so that tests can compare exact values.

/** Hashes any mix of strings and numbers to a 32-bit seed (cyrb53, folded). */
export function hashSeed(...parts: (string | number)[]): number {
  const text = parts.join('\u0001');
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h1 ^ h2) >>> 0;
}

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number;
  float(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Approximately normal (sum of uniforms), good enough for physiology noise. */
  normal(mean: number, sd: number): number;
}

/** mulberry32: tiny, fast and well distributed for simulation purposes. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    float: (min, max) => min + next() * (max - min),
    chance: (probability) => next() < probability,
    pick: (items) => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
    normal: (mean, sd) => mean + sd * (next() + next() + next() + next() + next() + next() - 3) * Math.SQRT2,
  };
}

/** A decimal id like Google's (19 digits, no leading zero), derived from a seed. */
export function numericId(rng: Rng): string {
  let id = String(rng.int(1, 9));
  for (let i = 0; i < 18; i++) id += String(rng.int(0, 9));
  return id;
}
