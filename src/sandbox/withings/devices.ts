// The Withings devices a person owns, with stable device ids (40 hex characters, as Withings'
// hash_deviceid), and the phone source Withings shows for steps counted by a partner app.

import { createHash } from 'node:crypto';
import type { PersonProfile } from '../people/model.ts';

export type DeviceKind = 'scale' | 'bpCuff' | 'sleepAnalyzer' | 'watch';

export interface WithingsDevice {
  kind: DeviceKind;
  /** getdevice `type`. */
  type: string;
  model: string;
  modelId: number;
  deviceid: string;
}

// NOTE: model ids from Withings' model table: Body Cardio 6, BPM Connect 45, Sleep Analyzer
// (Aura Sensor V2) 63, ScanWatch 93 (docs/withings.md, The sandbox emulator).
const CATALOG: Record<DeviceKind, Omit<WithingsDevice, 'kind' | 'deviceid'>> = {
  scale: { type: 'Scale', model: 'Body Cardio', modelId: 6 },
  bpCuff: { type: 'Blood Pressure Monitor', model: 'BPM Connect', modelId: 45 },
  sleepAnalyzer: { type: 'Sleep Monitor', model: 'Aura Sensor V2', modelId: 63 },
  watch: { type: 'Activity Tracker', model: 'ScanWatch', modelId: 93 },
};

export const DEVICE_KINDS: DeviceKind[] = ['scale', 'bpCuff', 'sleepAnalyzer', 'watch'];

/** Steps a phone app forwarded to Withings (brand 18, no device id), as in Withings' own answers. */
export const PHONE_SOURCE = { brand: 18, modelid: 1055, model: 'GoogleFit tracker' } as const;
export const WATCH_BRAND = 1;

/** Sleep summary `model`: 16 for a tracker, 32 for a sleep monitor. */
export const SLEEP_MODEL: Record<'watch' | 'sleepAnalyzer', number> = { watch: 16, sleepAnalyzer: 32 };

export function deviceOf(person: PersonProfile, kind: DeviceKind): WithingsDevice | undefined {
  if (!person.withings[kind]) return undefined;
  const deviceid = createHash('sha1').update(`withings-device|${person.seed}|${kind}`).digest('hex');
  return { kind, ...CATALOG[kind], deviceid };
}

export function devicesOf(person: PersonProfile): WithingsDevice[] {
  return DEVICE_KINDS.flatMap((kind) => deviceOf(person, kind) ?? []);
}
