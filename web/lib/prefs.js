// The account's display preferences (GET/PATCH /account/preferences), read once per sign-in.

import { getJson, onSessionChange, sendJson } from './api.js';

/**
 * @typedef {import('./measures.js').Units} Units
 * @typedef {{ units: Units, goals: { steps: number, energy: number, sleep: number }, updated_at: string | null }} Preferences
 */

/** @type {Promise<Preferences> | null} */
let cached = null;
onSessionChange(() => {
  cached = null;
});

/** @returns {Promise<Preferences>} */
export function preferences() {
  cached ??= getJson('/account/preferences').catch((err) => {
    cached = null;
    throw err;
  });
  return cached;
}

/** @param {Partial<{ units: Partial<Units> & { system?: string }, goals: Partial<Preferences['goals']> }>} change */
export async function savePreferences(change) {
  const saved = /** @type {Preferences} */ (await sendJson('PATCH', '/account/preferences', change));
  cached = Promise.resolve(saved);
  return saved;
}
