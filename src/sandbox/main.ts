// `npm run sandbox`: the vendor sandbox on its own (Google OAuth + Google Health API, and Withings
// under /withings), printing the env lines for the app. SANDBOX_PORT (default 8090), SANDBOX_HOST,
// SANDBOX_SEED, SANDBOX_AUTO_CONSENT=1, SANDBOX_REDIRECT_URI (default the app's local Fitbit callback)
// and SANDBOX_WITHINGS_REDIRECT_URI (default the app's local Withings callback) configure it.

import { DEFAULT_CLIENT, DEFAULT_WITHINGS_CLIENT, startSandbox } from './index.ts';

const redirectUri = process.env.SANDBOX_REDIRECT_URI;
const withingsRedirectUri = process.env.SANDBOX_WITHINGS_REDIRECT_URI;
const sandbox = await startSandbox({
  host: process.env.SANDBOX_HOST ?? '127.0.0.1',
  port: Number(process.env.SANDBOX_PORT ?? 8090),
  seed: Number(process.env.SANDBOX_SEED ?? 1),
  autoConsent: process.env.SANDBOX_AUTO_CONSENT === '1',
  clients: [
    redirectUri
      ? { ...DEFAULT_CLIENT, redirectUris: [redirectUri, ...DEFAULT_CLIENT.redirectUris] }
      : DEFAULT_CLIENT,
  ],
  withingsClients: [
    withingsRedirectUri
      ? {
          ...DEFAULT_WITHINGS_CLIENT,
          redirectUris: [withingsRedirectUri, ...DEFAULT_WITHINGS_CLIENT.redirectUris],
        }
      : DEFAULT_WITHINGS_CLIENT,
  ],
  log: process.env.SANDBOX_LOG === '1',
});

process.stdout.write(
  `Vendor sandbox (Google Health API, Withings under /withings) listening on ${sandbox.url}\n\n# Point the app at it:\n`,
);
for (const [key, value] of Object.entries(sandbox.env)) process.stdout.write(`${key}=${value}\n`);
process.stdout.write(
  '\n# People (consent pages list them; admin API at /_admin/people and /_admin/withings):\n',
);
for (const person of sandbox.people.list()) {
  process.stdout.write(
    `#   ${person.id}  ${person.displayName}  ${person.timeZone}  withings userid ${person.withings.userid}\n`,
  );
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sandbox.close().then(() => process.exit(0));
  });
}
