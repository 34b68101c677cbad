// The vendor sandbox: emulators of Google OAuth 2.0 + the Google Health API v4, and of Withings
// (OAuth, data API and notifications, under /withings), on loopback with the same synthetic people.
// Start it in-process (tests, demo mode) with startSandbox(), or standalone via main.ts.

import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { registerAdminRoutes } from './admin/admin.routes.ts';
import { createAdmin, type SandboxAdmin } from './admin/admin.ts';
import { FaultInjector } from './admin/faults.ts';
import { RequestLog } from './admin/request-log.ts';
import type { SandboxContext } from './context.ts';
import { buildGroundTruth, type GroundTruth } from './ground-truth.ts';
import { registerHealthRoutes } from './health/health.routes.ts';
import { RateLimiter } from './health/rate-limit.ts';
import { registerLegacyRoutes } from './legacy.routes.ts';
import { registerOAuthRoutes } from './oauth/oauth.routes.ts';
import { OAuthService } from './oauth/oauth.service.ts';
import type { PersonProfile } from './people/model.ts';
import { type CreatePersonInput, PeopleStore } from './people/people.ts';
import { WebhookService } from './webhooks/webhook.service.ts';
import type { WebhookOptions } from './webhooks/webhook.types.ts';
import { createWithings, DEFAULT_WITHINGS_CLIENT, type SandboxWithings } from './withings/withings.ts';
import type { WithingsClient, WithingsOptions } from './withings/withings.types.ts';

/** Where the sandbox serves its webhook signing keyset (Google's path on www.gstatic.com). */
const WEBHOOK_KEYSET_PATH = '/googlehealthapi/webhooks/webhooks_public_keyset.json';

export type { SandboxAdmin } from './admin/admin.ts';
export type { FaultSpec } from './admin/faults.ts';
export type { RequestLogSnapshot } from './admin/request-log.ts';
export { SCOPE_PREFIX, type SimulatedType } from './catalog.ts';
export type { GroundTruth } from './ground-truth.ts';
export type { DayTruth, PersonProfile, SleepTruth, StatSummary } from './people/model.ts';
export type { CreatePersonInput } from './people/people.ts';
export type { Delivery, NotifyInput } from './webhooks/webhook.types.ts';
export type { MutationOptions, WithingsAdmin } from './withings/admin.ts';
export type {
  MeasureGroupChanges,
  MeasureGroupInput,
  SleepSummaryInput,
} from './withings/data/edits.ts';
export type { ActiveWithingsFault, WithingsFaultSpec } from './withings/faults.ts';
export type { WithingsGroundTruth, WithingsMeasureTruth } from './withings/ground-truth.ts';
export type { Subscription as WithingsSubscription, WithingsDelivery } from './withings/notify.types.ts';
export type { WithingsRequestLogSnapshot } from './withings/request-log.ts';
export type { SandboxWithings } from './withings/withings.ts';
export type {
  ActivityFields,
  ActivityRow,
  Measure,
  MeasureGroup,
  NotifyPayload,
  SleepSeries,
  WithingsClient,
  WithingsOptions,
} from './withings/withings.types.ts';
export { DEFAULT_WITHINGS_CLIENT };

export interface SandboxOptions {
  host?: string; // default '127.0.0.1'
  port?: number; // default 0 (random)
  now?: () => Date; // injectable clock, default () => new Date()
  seed?: number;
  clients?: { clientId: string; clientSecret: string; redirectUris: string[] }[]; // redirectUris exact match
  autoConsent?: boolean; // authorize redirects straight back with a code (all requested scopes granted)
  refreshTokenTtlDays?: number; // testing mode: refresh tokens expire (Google: 7 days)
  days?: number; // how many past days of data people have (default 30)
  log?: boolean;
  /** Extra: people created at start so the consent page has someone (default 3). */
  initialPeople?: number;
  /** Extra: requests per person per minute before 429 (default 300, docs/google-health.md §9). */
  rateLimitPerMinute?: number;
  /** Extra: webhook retry timing and body format. */
  webhooks?: WebhookOptions;
  /** Withings OAuth clients (default DEFAULT_WITHINGS_CLIENT); redirect URIs match exactly. */
  withingsClients?: WithingsClient[];
  /** Withings rate limit, token lifetime, page size, notification timing, callback URL rules. */
  withings?: WithingsOptions;
}

export type SandboxPerson = PersonProfile;

export interface SandboxPeople {
  createPerson(input?: CreatePersonInput): SandboxPerson;
  get(id: string): SandboxPerson | undefined;
  list(): SandboxPerson[];
}

export interface Sandbox {
  url: string;
  env: Record<string, string>;
  people: SandboxPeople;
  groundTruth(personId: string): GroundTruth;
  admin: SandboxAdmin;
  /** The Withings emulator: userid lookups, ground truth and its admin hooks (docs/withings.md). */
  withings: SandboxWithings;
  close(): Promise<void>;
}

export const DEFAULT_CLIENT = {
  clientId: 'sandbox-client.apps.googleusercontent.com',
  clientSecret: 'sandbox-client-secret',
  redirectUris: [
    'http://localhost:8000/integrations/fitbit/callback',
    'http://127.0.0.1:8000/integrations/fitbit/callback',
  ],
};

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const now = options.now ?? (() => new Date());
  const clients = options.clients?.length ? options.clients : [DEFAULT_CLIENT];
  const people = new PeopleStore({ now, seed: options.seed ?? 1, defaultDays: options.days ?? 30 });
  const oauth = new OAuthService({
    now,
    clients,
    ...(options.refreshTokenTtlDays ? { refreshTokenTtlDays: options.refreshTokenTtlDays } : {}),
  });
  const ctx: SandboxContext = {
    now,
    people,
    oauth,
    requests: new RequestLog(),
    faults: new FaultInjector(),
    rateLimiter: new RateLimiter(options.rateLimitPerMinute ?? 300),
    webhooks: new WebhookService({ now, oauth, people, options: options.webhooks ?? {} }),
    autoConsent: options.autoConsent ?? false,
    notLinked: new Set(),
    hanging: new Set(),
  };
  const zones = ['America/New_York', 'Europe/Berlin', 'Asia/Kolkata'];
  for (let i = 0; i < (options.initialPeople ?? 3); i++)
    people.create({ timeZone: zones[i % zones.length] ?? 'UTC' });

  const app = Fastify({ logger: options.log ?? false, forceCloseConnections: true, bodyLimit: 1_048_576 });
  await app.register(formbody);
  const admin = createAdmin(ctx);
  const withings = createWithings(ctx, {
    autoConsent: ctx.autoConsent,
    ...(options.withingsClients ? { clients: options.withingsClients } : {}),
    ...(options.withings ? { options: options.withings } : {}),
  });
  registerOAuthRoutes(app, ctx);
  registerHealthRoutes(app, ctx);
  registerAdminRoutes(app, ctx, admin);
  registerLegacyRoutes(app, ctx);
  withings.register(app);
  // Google publishes the webhook signing keys as a Tink JSON keyset on www.gstatic.com (docs/google-health.md §8.5).
  app.get(WEBHOOK_KEYSET_PATH, async () => ctx.webhooks.signer.publicKeys().tinkKeyset);
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const host =
    options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const first = clients[0] ?? DEFAULT_CLIENT;

  return {
    url,
    env: {
      GOOGLE_OAUTH_AUTHORIZE_URL: `${url}/o/oauth2/v2/auth`,
      GOOGLE_OAUTH_TOKEN_URL: `${url}/token`,
      GOOGLE_OAUTH_REVOKE_URL: `${url}/revoke`,
      GOOGLE_HEALTH_API_URL: url,
      GOOGLE_HEALTH_WEBHOOK_KEYSET_URL: `${url}${WEBHOOK_KEYSET_PATH}`,
      FITBIT_CLIENT_ID: first.clientId,
      FITBIT_CLIENT_SECRET: first.clientSecret,
      FITBIT_REDIRECT_URI: first.redirectUris[0] ?? '',
      ...withings.env(url),
    },
    people: {
      createPerson: (input) => people.create(input),
      get: (id) => people.get(id),
      list: () => people.list(),
    },
    groundTruth: (personId) => buildGroundTruth(people, personId, now().getTime()),
    admin,
    withings: withings.api,
    async close() {
      ctx.webhooks.close();
      withings.close();
      for (const release of ctx.hanging) release();
      ctx.hanging.clear();
      await app.close();
    },
  };
}
