/** A clock the test moves: pass `clock.now` (or the clock) where the app or the sandbox takes one. */
export interface FakeClock {
  now(): Date;
  set(iso: string | number): void;
  advance(ms: number): void;
}

export function fakeClock(start: string): FakeClock {
  let ms = Date.parse(start);
  return {
    now: () => new Date(ms),
    set: (v) => {
      ms = typeof v === 'number' ? v : Date.parse(v);
    },
    advance: (d) => {
      ms += d;
    },
  };
}
