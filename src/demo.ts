import type { Config } from './config.ts';
import type { Log } from './log.ts';

export interface DemoSandbox {
  config: Readonly<Config>;
  /** Lines telling a newcomer how to try the whole flow. */
  instructions: string[];
  close(): Promise<void>;
}

// Demo mode (SANDBOX=1, or no Google client configured outside production): run the vendor
// sandbox beside the app on loopback and point the app's Google settings at it, so a newcomer
// can connect a simulated Fitbit account with nothing configured.
export async function startDemoSandbox(config: Readonly<Config>, log: Log): Promise<DemoSandbox> {
  const { DEFAULT_CLIENT, startSandbox } = await import('./sandbox/index.ts');
  const redirectUri = config.fitbit.redirectUri;
  const client = { ...DEFAULT_CLIENT, redirectUris: [redirectUri, ...DEFAULT_CLIENT.redirectUris] };
  const sandbox = await startSandbox({ host: '127.0.0.1', port: config.sandboxPort, clients: [client] });
  const env = sandbox.env;
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
    },
  });
  log.warn(`demo mode: vendor sandbox (simulated Google OAuth + Google Health API) at ${sandbox.url}`);
  const people = sandbox.people.list();
  return {
    config: demoConfig,
    instructions: [
      `Demo mode: a simulated Google Health API runs at ${sandbox.url} (set FITBIT_CLIENT_ID or SANDBOX=0 to turn it off).`,
      `Try it: open ${config.publicBaseUrl}/app, sign up, connect Fitbit, pick one of ${people.length} simulated people on the consent page, then sync.`,
      `Or with curl: see docs/quickstart.md.`,
    ],
    close: () => sandbox.close(),
  };
}
