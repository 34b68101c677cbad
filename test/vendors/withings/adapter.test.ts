import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { MEASUREMENT_TYPES } from '../../../src/fhir/measurement.ts';
import { createOutboundHttp } from '../../../src/http/outbound.ts';
import { createVendorRegistry, findVendor } from '../../../src/vendors/registry.ts';
import { consentCoverage, VendorAuthorizationError } from '../../../src/vendors/types.ts';
import { WITHINGS_METRICS_TYPES_PENDING } from '../../../src/vendors/withings/scopes.ts';

// The registry entry: data types and their scopes, and the account from the token answer.
const registry = createVendorRegistry({
  config: loadConfig({ WITHINGS_CLIENT_ID: 'id', WITHINGS_CLIENT_SECRET: 'secret' }),
  http: createOutboundHttp({ fetch: async () => expect.unreachable() }),
  now: () => new Date('2026-12-01T10:00:00Z'),
});
const withings = findVendor(registry, 'withings');

describe('Withings adapter', () => {
  it('is registered with its data types and scopes', () => {
    expect(withings).toMatchObject({ id: 'withings', displayName: 'Withings', accountScopes: ['user.info'] });
    const scopes = Object.fromEntries((withings?.dataTypes ?? []).map((d) => [d.type, d.scope]));
    expect(scopes).toEqual({
      body_weight: 'user.metrics',
      body_fat: 'user.metrics',
      heart_rate: 'user.metrics',
      spo2: 'user.metrics',
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
    expect(coverage.types).toEqual(['body_weight', 'body_fat', 'heart_rate', 'spo2']);
  });

  it('the pending measure names are not measurement types yet (move them once they are)', () => {
    const known = new Set<string>(MEASUREMENT_TYPES);
    expect(WITHINGS_METRICS_TYPES_PENDING.filter((t) => known.has(t))).toEqual([]);
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
