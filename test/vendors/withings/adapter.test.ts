import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { createOutboundHttp } from '../../../src/http/outbound.ts';
import { createLogger } from '../../../src/log.ts';
import { createRateBudgets } from '../../../src/sync/rate-budgets.ts';
import { createVendorRegistry, findVendor } from '../../../src/vendors/registry.ts';
import { consentCoverage, VendorAuthorizationError } from '../../../src/vendors/types.ts';
import { WITHINGS_STREAM_TYPES } from '../../../src/vendors/withings/scopes.ts';

// The registry entry: data types and their scopes, and the account from the token answer.
const registry = createVendorRegistry({
  config: loadConfig({ WITHINGS_CLIENT_ID: 'id', WITHINGS_CLIENT_SECRET: 'secret' }),
  http: createOutboundHttp({ fetch: async () => expect.unreachable() }),
  now: () => new Date('2026-12-01T10:00:00Z'),
  budgets: createRateBudgets({ prefix: 'test', log: createLogger('silent') }),
});
const withings = findVendor(registry, 'withings');

describe('Withings adapter', () => {
  it('is registered with its data types and scopes', () => {
    expect(withings).toMatchObject({ id: 'withings', displayName: 'Withings', accountScopes: ['user.info'] });
    const scopes = Object.fromEntries((withings?.dataTypes ?? []).map((d) => [d.type, d.scope]));
    expect(scopes).toEqual({
      body_weight: 'user.metrics',
      body_fat: 'user.metrics',
      fat_mass: 'user.metrics',
      fat_free_mass: 'user.metrics',
      muscle_mass: 'user.metrics',
      bone_mass: 'user.metrics',
      height: 'user.metrics',
      blood_pressure: 'user.metrics',
      heart_rate: 'user.metrics',
      body_temperature: 'user.metrics',
      skin_temperature: 'user.metrics',
      spo2: 'user.metrics',
      vo2_max: 'user.metrics',
      steps: 'user.activity',
      distance: 'user.activity',
      calories: 'user.activity',
      sleep: 'user.activity',
      respiratory_rate: 'user.activity',
    });
    expect(withings?.oauth.redirectUri).toBe('http://localhost:8000/integrations/withings/callback');
  });

  it('a grant without user.activity skips the activity and sleep types', () => {
    const coverage = consentCoverage(withings as NonNullable<typeof withings>, ['user.metrics', 'user.info']);
    expect(coverage.missingScopes).toEqual(['user.activity']);
    expect(coverage.types).toEqual([...WITHINGS_STREAM_TYPES.measures]);
  });

  it('every type the sync streams supply has a scope, and every scoped type is supplied', () => {
    const streamed = Object.values(WITHINGS_STREAM_TYPES).flat().sort();
    expect((withings?.dataTypes ?? []).map((d) => d.type).sort()).toEqual(streamed);
  });

  it('the account is the user named in the token answer; no call is made', async () => {
    const tokens = {
      accessToken: 'a',
      refreshToken: 'r',
      accessExpiresAt: null,
      refreshExpiresAt: null,
      scopes: null,
    };
    await expect(withings?.fetchAccount({ ...tokens, vendorUserId: '363' })).resolves.toEqual({
      vendorUserId: '363',
      legacyVendorUserId: null,
    });
    await expect(withings?.fetchAccount(tokens)).rejects.toBeInstanceOf(VendorAuthorizationError);
  });
});
