/**
 * Intraday heart rate storage shape: one Observation per sample vs one per local hour with
 * SampledData. Prints JSON bytes per day, map and read-back cost. Run: node bench/fhir/heart-rate-shape.ts
 */
import {
  groupHeartRateSamples,
  type Measurement,
  toHealthObservation,
  toObservation,
} from '../../src/fhir/index.ts';

const ctx = { patientId: 'bench-patient', now: new Date('2026-12-01T00:00:00Z'), sourceUri: 'urn:bench' };
const source = { vendor: 'fitbit', deviceName: 'Inspire 3' };
const DAY_START = Date.parse('2026-08-28T18:30:00Z'); // local midnight at +05:30

function day(everySeconds: number) {
  const raw = [];
  for (let t = 0; t < 86_400; t += everySeconds) {
    raw.push({
      time: new Date(DAY_START + t * 1000).toISOString(),
      utcOffset: '+05:30',
      value: 55 + Math.round(30 * Math.abs(Math.sin(t / 5000))),
      source,
    });
  }
  return raw;
}

function perSample(raw: ReturnType<typeof day>): Measurement[] {
  return raw.map((s) => ({
    type: 'heart_rate',
    value: s.value,
    unit: '/min',
    start: s.time,
    end: s.time,
    utcOffset: s.utcOffset,
    localDate: '2026-08-29',
    source,
    vendorKey: `heart_rate|${s.time}|Inspire 3`,
    daily: false,
  }));
}

function measure(label: string, build: () => Measurement[]) {
  const runs = 20;
  let measurements: Measurement[] = [];
  let t = performance.now();
  for (let i = 0; i < runs; i++) measurements = build();
  const groupMs = (performance.now() - t) / runs;
  t = performance.now();
  let observations = measurements.map((m) => toObservation(m, ctx));
  for (let i = 1; i < runs; i++) observations = measurements.map((m) => toObservation(m, ctx));
  const mapMs = (performance.now() - t) / runs;
  t = performance.now();
  for (let i = 0; i < runs; i++) for (const o of observations) toHealthObservation(o);
  const readMs = (performance.now() - t) / runs;
  const bytes = observations.reduce((sum, o) => sum + JSON.stringify(o).length, 0);
  console.log(
    `${label.padEnd(34)} resources/day ${String(observations.length).padStart(6)}  JSON bytes/day ${String(bytes).padStart(9)}` +
      `  group ${groupMs.toFixed(2)} ms  toObservation ${mapMs.toFixed(2)} ms  toHealthObservation ${readMs.toFixed(2)} ms`,
  );
}

for (const every of [60, 5]) {
  const raw = day(every);
  measure(`1 sample/${every}s, per-sample`, () => perSample(raw));
  measure(`1 sample/${every}s, hourly SampledData`, () => groupHeartRateSamples(raw));
}
