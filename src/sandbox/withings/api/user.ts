// /v2/user: getdevice (the person's Withings devices with their time zone) and getgoals
// (`goals: []` for a person without goals, as PHP encodes an empty map).

import { createHash } from 'node:crypto';
import { startOfLocalDay } from '../../lib/time.ts';
import { traitsOf } from '../data/traits.ts';
import { devicesOf } from '../devices.ts';
import type { Call, DataAction, Json } from './call.ts';

const BATTERY = ['high', 'high', 'medium', 'low'];

function getdevice({ ctx, person }: Call): Json {
  const firstSession = Math.floor(startOfLocalDay(person.timeZone, person.firstDate) / 1000);
  return {
    devices: devicesOf(person).map((device) => ({
      type: device.type,
      battery:
        BATTERY[(createHash('sha1').update(device.deviceid).digest()[0] ?? 0) % BATTERY.length] ?? 'high',
      model: device.model,
      model_id: device.modelId,
      // NOTE: the device's time zone; the public API has no user-level zone (docs/withings.md, The sandbox emulator).
      timezone: person.timeZone,
      first_session_date: firstSession,
      last_session_date: ctx.data.lastSessionOf(person, device.kind),
      deviceid: device.deviceid,
      hash_deviceid: device.deviceid,
    })),
  };
}

function getgoals({ person }: Call): Json {
  if (!person.withings.goals) return { goals: [] };
  return {
    goals: {
      steps: Math.round(person.stepsTarget / 500) * 500,
      sleep: 28_800,
      weight: { value: traitsOf(person).goalWeightGrams, unit: -3 },
    },
  };
}

// NOTE: the scope getdevice and getgoals need is undocumented; the sandbox asks for user.info (docs/withings.md, The sandbox emulator).
export const USER_ACTIONS: Record<string, DataAction> = {
  getdevice: { scope: 'user.info', run: getdevice },
  getgoals: { scope: 'user.info', run: getgoals },
};

/** /v2/heart: the sandbox records no ECG, so list answers an empty page. */
export const HEART_ACTIONS: Record<string, DataAction> = {
  list: { scope: 'user.metrics', run: () => ({ series: [], more: false, offset: 0 }) },
};
