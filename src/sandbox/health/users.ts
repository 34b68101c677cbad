// users.getIdentity, getProfile, getSettings and pairedDevices.list (docs/google-health.md §3.2, §6).

import { civilDate, durationString, offsetSecondsAt, rfc3339 } from '../lib/time.ts';
import type { PersonProfile } from '../people/model.ts';

type Json = Record<string, unknown>;

export function identityOf(person: PersonProfile): Json {
  const identity: Json = { name: 'users/me/identity' };
  // NOTE: legacyUserId is absent for people who never had a Fitbit account (§6).
  if (person.legacyUserId) identity.legacyUserId = person.legacyUserId;
  identity.healthUserId = person.id;
  return identity;
}

/** NOTE: the exact Profile schema was not captured; these fields follow the 3P field list (§3.2). */
export function profileOf(person: PersonProfile, nowMs: number): Json {
  const now = new Date(nowMs);
  return {
    name: 'users/me/profile',
    age: now.getUTCFullYear() - person.birthYear,
    membershipStartDate: civilDate(person.firstDate),
    userConfiguredWalkingStrideLengthMillimeters: String(person.strideMm),
  };
}

/** NOTE: timeZone and utcOffset live in settings, not in the profile (3P, §3.2). */
export function settingsOf(person: PersonProfile, nowMs: number): Json {
  return {
    name: 'users/me/settings',
    timeZone: person.timeZone,
    utcOffset: durationString(offsetSecondsAt(person.timeZone, nowMs)),
    distanceUnit: 'KILOMETERS',
    weightUnit: 'KILOGRAMS',
  };
}

export function pairedDevicesOf(person: PersonProfile, nowMs: number): Json {
  const lastSync = rfc3339(Math.floor(nowMs / 60_000) * 60_000 - 15 * 60_000);
  const devices: Json[] = [
    {
      name: 'users/me/pairedDevices/1',
      deviceType: 'TRACKER',
      displayName: person.tracker.displayName,
      batteryLevel: 64,
      lastSyncTime: lastSync,
    },
  ];
  if (person.scale) {
    devices.push({
      name: 'users/me/pairedDevices/2',
      deviceType: 'SCALE',
      displayName: person.scale.displayName,
      batteryLevel: 90,
      lastSyncTime: lastSync,
    });
  }
  return { pairedDevices: devices };
}
