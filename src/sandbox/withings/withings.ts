// The Withings emulator, mounted under /withings in the sandbox server: builds its parts from the
// shared people and clock, registers its routes, and gives tests their handle (sandbox.withings).

import type { FastifyInstance } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { registerWithingsAdminRoutes } from './admin.routes.ts';
import { createWithingsAdmin, type WithingsAdmin } from './admin.ts';
import { registerWithingsApi, WITHINGS_PREFIX } from './api.routes.ts';
import type { WithingsContext } from './context.ts';
import { WithingsData } from './data/store.ts';
import { WithingsFaults } from './faults.ts';
import { buildWithingsGroundTruth, type WithingsGroundTruth } from './ground-truth.ts';
import { NotifyService } from './notify.service.ts';
import { registerWithingsOAuthRoutes } from './oauth.routes.ts';
import { WithingsOAuth } from './oauth.service.ts';
import { RollingLimiter } from './rate-limit.ts';
import { WithingsRequestLog } from './request-log.ts';
import { NonceStore } from './signature.ts';
import type { ResolvedWithingsOptions, WithingsClient, WithingsOptions } from './withings.types.ts';

export const DEFAULT_WITHINGS_CLIENT: WithingsClient = {
  clientId: 'sandbox-withings-client-id',
  clientSecret: 'sandbox-withings-client-secret',
  redirectUris: [
    'http://localhost:8000/integrations/withings/callback',
    'http://127.0.0.1:8000/integrations/withings/callback',
  ],
};

/** NOTE: 5 cycles at T+0, +10 s, +1 min, +1 h, +4 h (Withings' newest docs, without their random extra wait). */
const RETRY_DELAYS_MS = [10_000, 60_000, 3_600_000, 14_400_000];
const DEMO_PERSON = { id: 'withings-demo', seed: 363, timeZone: 'Europe/Paris' };

export interface SandboxWithings {
  /** The person's Withings userid (the integer token answers and notifications carry). */
  userIdOf(personId: string): number;
  /** The person behind a Withings userid. */
  personIdOf(userid: number): string | undefined;
  groundTruth(personId: string): WithingsGroundTruth;
  admin: WithingsAdmin;
}

export interface WithingsEmulator {
  api: SandboxWithings;
  register(app: FastifyInstance): void;
  env(url: string): Record<string, string>;
  close(): void;
}

export function createWithings(
  sandbox: SandboxContext,
  input: { clients?: WithingsClient[]; options?: WithingsOptions; autoConsent: boolean },
): WithingsEmulator {
  const clients = input.clients?.length ? input.clients : [DEFAULT_WITHINGS_CLIENT];
  const given = input.options ?? {};
  const options: ResolvedWithingsOptions = {
    rateLimitPerMinute: given.rateLimitPerMinute ?? 120,
    accessTokenTtlSeconds: given.accessTokenTtlSeconds ?? 10_800,
    notifyTimeoutMs: given.notifyTimeoutMs ?? 2000,
    notifyRetryDelaysMs: given.notifyRetryDelaysMs ?? RETRY_DELAYS_MS,
    notifyRemoveAfterFailures: given.notifyRemoveAfterFailures ?? 0,
    strictCallbackUrls: given.strictCallbackUrls ?? false,
    ...(given.pageSize !== undefined ? { pageSize: given.pageSize } : {}),
  };
  const { now, people } = sandbox;
  const nonces = new NonceStore(now);
  const ctx: WithingsContext = {
    now,
    people,
    options,
    nonces,
    oauth: new WithingsOAuth({
      now,
      clients,
      people,
      nonces,
      accessTokenTtlSeconds: options.accessTokenTtlSeconds,
      strictCallbackUrls: options.strictCallbackUrls,
    }),
    data: new WithingsData(people, now),
    notify: new NotifyService({ now, people, options }),
    requests: new WithingsRequestLog(),
    faults: new WithingsFaults(),
    limiter: new RollingLimiter(options.rateLimitPerMinute),
    autoConsent: input.autoConsent,
    sandbox,
    demoPersonId() {
      if (!people.get(DEMO_PERSON.id))
        people.create({ ...DEMO_PERSON, withings: { watch: true, goals: true } });
      return DEMO_PERSON.id;
    },
  };
  const admin = createWithingsAdmin(ctx);
  const personOf = (personId: string) => {
    const person = people.get(personId);
    if (!person) throw new Error(`Unknown person ${personId}`);
    return person;
  };
  const first = clients[0] ?? DEFAULT_WITHINGS_CLIENT;
  return {
    api: {
      userIdOf: (personId) => personOf(personId).withings.userid,
      personIdOf: (userid) => people.byWithingsUserId(userid)?.id,
      groundTruth: (personId) => buildWithingsGroundTruth(ctx.data, personOf(personId)),
      admin,
    },
    register(app) {
      registerWithingsOAuthRoutes(app, ctx);
      registerWithingsApi(app, ctx);
      registerWithingsAdminRoutes(app, ctx, admin);
    },
    env: (url) => ({
      WITHINGS_CLIENT_ID: first.clientId,
      WITHINGS_CLIENT_SECRET: first.clientSecret,
      WITHINGS_REDIRECT_URI: first.redirectUris[0] ?? '',
      WITHINGS_OAUTH_AUTHORIZE_URL: `${url}${WITHINGS_PREFIX}/oauth2_user/authorize2`,
      WITHINGS_API_URL: `${url}${WITHINGS_PREFIX}`,
    }),
    close: () => ctx.notify.close(),
  };
}
