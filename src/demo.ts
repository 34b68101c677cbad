import { randomBytes } from 'node:crypto';
import { type Config, withingsNotifyUrl } from './config.ts';
import type { Log } from './log.ts';

export interface DemoSandbox {
  config: Readonly<Config>;
  /** Lines telling a newcomer how to try the whole flow. */
  instructions: string[];
  /** Registers the running app as the sandbox's webhook subscriber (Google verifies it on create). */
  registerWebhook(appUrl: string): Promise<void>;
  close(): Promise<void>;
}

const DEMO_PROJECT = '123456789';
// The types docs/sync.md subscribes to (oxygen-saturation samples have no webhooks: docs/google-health.md §4).
const WEBHOOK_TYPES = [
  'steps',
  'distance',
  'total-calories',
  'heart-rate',
  'daily-resting-heart-rate',
  'daily-oxygen-saturation',
  'weight',
  'body-fat',
  'sleep',
  'daily-heart-rate-variability',
  'daily-respiratory-rate',
  'daily-sleep-temperature-derivations',
];

// Demo mode (SANDBOX=1, or no Google client configured outside production): run the vendor
// sandbox beside the app on loopback and point the app's Google settings at it, so a newcomer
// can connect a simulated Fitbit account with nothing configured.
export async function startDemoSandbox(config: Readonly<Config>, log: Log): Promise<DemoSandbox> {
  const { DEFAULT_CLIENT, DEFAULT_WITHINGS_CLIENT, startSandbox } = await import('./sandbox/index.ts');
  const redirectUri = config.fitbit.redirectUri;
  const client = { ...DEFAULT_CLIENT, redirectUris: [redirectUri, ...DEFAULT_CLIENT.redirectUris] };
  const withingsClient = {
    ...DEFAULT_WITHINGS_CLIENT,
    redirectUris: [config.withings.redirectUri, ...DEFAULT_WITHINGS_CLIENT.redirectUris],
  };
  const sandbox = await startSandbox({
    host: '127.0.0.1',
    port: config.sandboxPort,
    clients: [client],
    withingsClients: [withingsClient],
  });
  const env = sandbox.env;
  // The notification URL's path token: a random one per demo run is enough.
  const withingsSecret = config.withings.webhookSecret ?? randomBytes(24).toString('base64url');
  const demoConfig: Config = Object.freeze({
    ...config,
    fitbit: {
      ...config.fitbit,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      redirectUri,
      authorizeUrl: env.GOOGLE_OAUTH_AUTHORIZE_URL ?? `${sandbox.url}/o/oauth2/v2/auth`,
      tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL ?? `${sandbox.url}/token`,
      revokeUrl: env.GOOGLE_OAUTH_REVOKE_URL ?? `${sandbox.url}/revoke`,
      apiUrl: sandbox.url,
      webhookKeysetUrl: env.GOOGLE_HEALTH_WEBHOOK_KEYSET_URL ?? config.fitbit.webhookKeysetUrl,
      // NOTE: Google sends this whole value as the Authorization header of webhook calls.
      webhookSecret: config.fitbit.webhookSecret ?? `Bearer demo-${randomBytes(24).toString('base64url')}`,
    },
    withings: {
      ...config.withings,
      clientId: withingsClient.clientId,
      clientSecret: withingsClient.clientSecret,
      authorizeUrl: env.WITHINGS_OAUTH_AUTHORIZE_URL ?? `${sandbox.url}/withings/oauth2_user/authorize2`,
      apiUrl: env.WITHINGS_API_URL ?? `${sandbox.url}/withings`,
      webhookSecret: withingsSecret,
      notifyCallbackUrl: withingsNotifyUrl(config.publicBaseUrl, withingsSecret),
    },
  });
  log.warn(`demo mode: vendor sandbox (simulated Google Health API and Withings API) at ${sandbox.url}`);
  const people = sandbox.people.list();
  return {
    config: demoConfig,
    instructions: [
      `Demo mode: simulated Google Health and Withings APIs run at ${sandbox.url} (set FITBIT_CLIENT_ID or SANDBOX=0 to turn it off).`,
      `Try it: open ${config.publicBaseUrl}/app, sign up, connect Fitbit and Withings, pick the same one of ${people.length} simulated people on both consent pages, then sync.`,
      `Or with curl: see docs/quickstart.md.`,
    ],
    async registerWebhook(appUrl) {
      const res = await fetch(
        `${sandbox.url}/v4/projects/${DEMO_PROJECT}/subscribers?subscriberId=phr-demo`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            endpointUri: `${appUrl}/integrations/fitbit/webhook`,
            subscriberConfigs: [{ dataTypes: WEBHOOK_TYPES, subscriptionCreatePolicy: 'AUTOMATIC' }],
            endpointAuthorization: { secret: demoConfig.fitbit.webhookSecret },
          }),
        },
      );
      if (!res.ok)
        throw new Error(`sandbox refused the webhook subscriber: ${res.status} ${await res.text()}`);
      log.info('demo mode: the app is the sandbox webhook subscriber (late device syncs arrive by push)');
    },
    close: () => sandbox.close(),
  };
}
