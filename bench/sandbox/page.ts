// Bench: one 10,000-point heart-rate page from the sandbox, over real HTTP on loopback.
// Run: node bench/sandbox/page.ts   (prints p50/p99 and fails if p50 >= 100 ms)

import autocannon from 'autocannon';
import { startSandbox } from '../../src/sandbox/index.ts';

const sandbox = await startSandbox({
  seed: 1,
  autoConsent: true,
  initialPeople: 0,
  rateLimitPerMinute: 1_000_000,
});
const person = sandbox.people.createPerson({ timeZone: 'America/New_York', seed: 7 });
const { clientId, clientSecret } = {
  clientId: sandbox.env.FITBIT_CLIENT_ID ?? '',
  clientSecret: sandbox.env.FITBIT_CLIENT_SECRET ?? '',
};
const redirectUri = sandbox.env.FITBIT_REDIRECT_URI ?? '';

const authorize = new URL(sandbox.env.GOOGLE_OAUTH_AUTHORIZE_URL ?? '');
authorize.search = new URLSearchParams({
  client_id: clientId,
  redirect_uri: redirectUri,
  response_type: 'code',
  scope: 'https://www.googleapis.com/auth/googlehealth.health_metrics_and_measurements.readonly',
  login_hint: person.id,
}).toString();
const redirect = await fetch(authorize, { redirect: 'manual' });
const code = new URL(redirect.headers.get('location') ?? '').searchParams.get('code') ?? '';
const token = await fetch(sandbox.env.GOOGLE_OAUTH_TOKEN_URL ?? '', {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    client_id: clientId,
    client_secret: clientSecret,
  }),
});
const accessToken = ((await token.json()) as { access_token: string }).access_token;
const path = '/v4/users/me/dataTypes/heart-rate/dataPoints?pageSize=10000';

// Warm-up: the first request generates the person's days.
const first = await fetch(`${sandbox.url}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
const points = ((await first.json()) as { dataPoints: unknown[] }).dataPoints.length;

const result = await autocannon({
  url: `${sandbox.url}${path}`,
  headers: { authorization: `Bearer ${accessToken}` },
  connections: 1,
  amount: 100,
});
await sandbox.close();

const { p50, p99 } = result.latency;
process.stdout.write(
  `points per page: ${points}\nrequests: ${result.requests.total}, non-2xx: ${result.non2xx}\n`,
);
process.stdout.write(`latency p50: ${p50} ms, p99: ${p99} ms, mean: ${result.latency.average} ms\n`);
if (points !== 10_000 || result.non2xx > 0 || p50 >= 100) {
  process.stdout.write('FAIL: expected 10,000 points per page served in under 100 ms (p50)\n');
  process.exitCode = 1;
}
