import { isIP } from 'node:net';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';

// Every setting of the app, parsed once from the environment. `loadConfig` reports every
// problem together; `src/server.ts` prints them and exits non-zero. Names follow docs/api.md.

const Duration = Type.String({ pattern: '^\\d+(s|m|h|d)?$' });
const Url = Type.String({ pattern: '^(https?|postgres(ql)?|rediss?)://' });

const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
  }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8000 }),
  HOST: Type.String({ default: '0.0.0.0' }),
  PUBLIC_BASE_URL: Type.Optional(Url),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  DATA_DIR: Type.String({ default: './data' }),
  DATABASE_URL: Type.Optional(Url),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  REDIS_URL: Type.Optional(Url),
  JOBS_QUEUE_PREFIX: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', default: 'phr' }),
  JOBS_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 100, default: 4 }),
  RUN_WORKER: Type.Union(
    [Type.Literal('0'), Type.Literal('1'), Type.Literal('true'), Type.Literal('false')],
    {
      default: '1',
    },
  ),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  JWT_ISSUER: Type.String({ default: 'phr-backend' }),
  JWT_AUDIENCE: Type.String({ default: 'phr-api' }),
  ACCESS_TOKEN_TTL: Type.Optional(Duration),
  REFRESH_TOKEN_TTL: Type.Optional(Duration),
  AUTH_JWKS_URL: Type.Optional(Url),
  AUTH_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  AUTH_AUDIENCE: Type.Optional(Type.String({ minLength: 1 })),
  ENCRYPTION_KEY: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{43}=?$' })),
  ENCRYPTION_KEYS: Type.Optional(Type.String({ minLength: 1 })),
  CORS_ORIGINS: Type.String({ default: '' }),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 1_048_576 }),
  IMPORT_MAX_BYTES: Type.Integer({ minimum: 1024, default: 4 * 1024 ** 3 }),
  HEALTH_ITEM_CACHE_MB: Type.Integer({ minimum: 0, maximum: 65_536, default: 64 }),
  AUTH_RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, default: 20 }),
  AUTH_REGISTRATIONS_PER_HOUR: Type.Integer({ minimum: 1, default: 20 }),
  TRUST_PROXY: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  FITBIT_CLIENT_ID: Type.Optional(Type.String({ minLength: 1 })),
  FITBIT_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  FITBIT_REDIRECT_URI: Type.Optional(Url),
  GOOGLE_OAUTH_AUTHORIZE_URL: Type.String({ default: 'https://accounts.google.com/o/oauth2/v2/auth' }),
  GOOGLE_OAUTH_TOKEN_URL: Type.String({ default: 'https://oauth2.googleapis.com/token' }),
  GOOGLE_OAUTH_REVOKE_URL: Type.String({ default: 'https://oauth2.googleapis.com/revoke' }),
  GOOGLE_HEALTH_API_URL: Type.String({ default: 'https://health.googleapis.com' }),
  GOOGLE_HEALTH_WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  GOOGLE_HEALTH_WEBHOOK_KEYSET_URL: Type.String({
    default: 'https://www.gstatic.com/googlehealthapi/webhooks/webhooks_public_keyset.json',
  }),
  WITHINGS_CLIENT_ID: Type.Optional(Type.String({ minLength: 1 })),
  WITHINGS_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  WITHINGS_REDIRECT_URI: Type.Optional(Url),
  WITHINGS_OAUTH_AUTHORIZE_URL: Type.String({
    pattern: '^https?://',
    default: 'https://account.withings.com/oauth2_user/authorize2',
  }),
  WITHINGS_API_URL: Type.String({ pattern: '^https?://', default: 'https://wbsapi.withings.net' }),
  // The unguessable path token of the notification URL: URL-safe, 32 to 128 characters.
  WITHINGS_WEBHOOK_SECRET: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{32,128}$' })),
  FHIR_SERVER_URL: Type.Optional(Url),
  // Bearer token of the original backend's FHIR server, read by `npm run migrate:phr-py` only.
  PHR_PY_FHIR_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  SYNC_BACKFILL_DAYS: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }),
  SYNC_INTERVAL_MINUTES: Type.Integer({ minimum: 1, default: 60 }),
  SYNC_TRIGGERS_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 1000, default: 5 }),
  OAUTH_SUCCESS_REDIRECT: Type.Optional(Type.String({ minLength: 1 })),
  EVENTS_WEBHOOK_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  // Standard Webhooks secret: whsec_ + base64 of 24 to 64 bytes.
  EVENTS_WEBHOOK_SECRET: Type.Optional(Type.String({ pattern: '^whsec_[A-Za-z0-9+/]{32,88}={0,2}$' })),
  // The live event stream (GET /events/stream, docs/events.md §7).
  EVENTS_STREAM_MAX_PER_USER: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
  EVENTS_STREAM_HEARTBEAT_MS: Type.Integer({ minimum: 10, maximum: 300_000, default: 15_000 }),
  EVENTS_STREAM_POLL_MS: Type.Integer({ minimum: 10, maximum: 300_000, default: 5_000 }),
  WEBHOOKS_ALLOW_PRIVATE_URLS: Type.Optional(
    Type.Union([Type.Literal('0'), Type.Literal('1'), Type.Literal('true'), Type.Literal('false')]),
  ),
  DEFAULT_TIME_ZONE: Type.String({ default: 'UTC' }),
  SANDBOX_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8090 }),
  SANDBOX: Type.Optional(
    Type.Union([Type.Literal('0'), Type.Literal('1'), Type.Literal('true'), Type.Literal('false')]),
  ),
});

type Env = Static<typeof EnvSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  publicBaseUrl: string;
  logLevel: Env['LOG_LEVEL'];
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  redisUrl: string | undefined;
  /** Background jobs: Redis key prefix, worker concurrency, and whether `npm start` also consumes. */
  jobs: { queuePrefix: string; concurrency: number; runWorker: boolean };
  jwt: {
    secret: string | undefined;
    issuer: string;
    audience: string;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
  };
  externalAuth: { jwksUrl: string; issuer: string; audience: string } | undefined;
  encryptionKeys: string[];
  corsOrigins: string[];
  metricsToken: string | undefined;
  bodyLimitBytes: number;
  /** Largest uploaded export (POST /imports/apple-health); uploads go to DATA_DIR/imports. */
  importMaxBytes: number;
  /** Memory for rendered health API items (src/health/rendered-items.ts); 0 turns it off. */
  healthItemCacheBytes: number;
  authRateLimitPerMinute: number;
  /** Accounts created per client address per hour (each costs a 128 MiB scrypt). */
  authRegistrationsPerHour: number;
  /**
   * Which peers may set the client address through X-Forwarded-For (Fastify's `trustProxy`):
   * false trusts none, a number that many hops, a list those addresses and CIDR ranges.
   */
  trustProxy: false | number | string[];
  fitbit: {
    clientId: string | undefined;
    clientSecret: string | undefined;
    redirectUri: string;
    authorizeUrl: string;
    tokenUrl: string;
    revokeUrl: string;
    apiUrl: string;
    webhookSecret: string | undefined;
    /** Google's public Tink keyset for the notifications' signature header. */
    webhookKeysetUrl: string;
  };
  withings: {
    clientId: string | undefined;
    clientSecret: string | undefined;
    redirectUri: string;
    authorizeUrl: string;
    /** Base of every Withings service (`/v2/oauth2`, `/measure`, `/notify`, ...), no trailing slash. */
    apiUrl: string;
    /** The path token that makes the notification URL unguessable; unset: no notifications. */
    webhookSecret: string | undefined;
    /** The public URL Withings POSTs notifications to (`PUBLIC_BASE_URL/webhooks/withings/<secret>`). */
    notifyCallbackUrl: string | undefined;
  };
  fhirServerUrl: string | undefined;
  /** `npm run migrate:phr-py`: the old FHIR server's bearer token (else --source-fhir-token). */
  phrPyFhirToken: string | undefined;
  /** Sync: history on connect, schedule, and sync requests that may start a run per user and minute. */
  sync: { backfillDays: number; intervalMinutes: number; triggersPerMinute: number };
  oauthSuccessRedirect: string | undefined;
  /** Webhook endpoints may use http and private addresses (development, tests; unsafe in production). */
  webhooksAllowPrivateUrls: boolean;
  /** The deployment's own endpoint: every user's events (EVENTS_WEBHOOK_URL + EVENTS_WEBHOOK_SECRET). */
  eventsWebhook: { url: string; secret: string } | undefined;
  /** GET /events/stream: open streams per user and process, `: ping` interval, fallback poll. */
  eventsStream: { maxPerUser: number; heartbeatMs: number; pollMs: number };
  defaultTimeZone: string;
  /** Run the vendor sandbox beside the app (demo mode). */
  sandbox: boolean;
  sandboxPort: number;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function parseDuration(value: string): number {
  const match = /^(\d+)(s|m|h|d)?$/.exec(value);
  if (!match) throw new Error(`not a duration: ${value}`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY: unset (trust no proxy), a hop count, or a comma list of addresses, CIDR ranges and
 * proxy-addr's names (loopback, linklocal, uniquelocal). A string result is the problem found.
 */
function parseTrustProxy(value: string | undefined): false | number | string[] | string {
  if (value === undefined) return false;
  if (/^\d+$/.test(value.trim())) {
    const hops = Number(value.trim());
    return hops <= 32 ? hops : 'a hop count is at most 32';
  }
  const entries = value.split(',').map((e) => e.trim());
  for (const entry of entries) {
    if (!isProxyEntry(entry)) {
      return `"${entry}" is not a hop count, an IP address, a CIDR range (10.0.0.0/8) or loopback, linklocal, uniquelocal`;
    }
  }
  return entries;
}

function isProxyEntry(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

export function loadConfig(source: Record<string, string | undefined> = process.env): Readonly<Config> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = source[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const env = Value.Convert(EnvSchema, Value.Default(EnvSchema, raw)) as Env;
  const problems = [...Value.Errors(EnvSchema, env)].map(
    (e) => `${e.instancePath.slice(1) || '(root)'}: ${e.message}`,
  );
  const external = [env.AUTH_JWKS_URL, env.AUTH_ISSUER, env.AUTH_AUDIENCE];
  if (external.some(Boolean) && !external.every(Boolean)) {
    problems.push('AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE must be set together');
  }
  if (env.NODE_ENV === 'production') {
    if (!env.JWT_SECRET) problems.push('JWT_SECRET: required in production (32+ characters)');
    if (!env.ENCRYPTION_KEY && !env.ENCRYPTION_KEYS) {
      problems.push('ENCRYPTION_KEY: required in production (base64url of 32 random bytes)');
    }
    // /metrics is on the public port: in production it is never open.
    if ((env.METRICS_TOKEN ?? '').length < 16) {
      problems.push('METRICS_TOKEN: required in production (16+ characters; guards GET /metrics)');
    }
  }
  for (const [i, key] of (env.ENCRYPTION_KEYS ?? '').split(',').entries()) {
    if (key.trim() && Buffer.from(key.trim(), 'base64url').length !== 32) {
      problems.push(`ENCRYPTION_KEYS: key ${i + 1} is not base64url of 32 bytes`);
    }
  }
  const trustProxy = parseTrustProxy(env.TRUST_PROXY);
  if (typeof trustProxy === 'string') problems.push(`TRUST_PROXY: ${trustProxy}`);
  if (Boolean(env.EVENTS_WEBHOOK_URL) !== Boolean(env.EVENTS_WEBHOOK_SECRET))
    problems.push('EVENTS_WEBHOOK_URL and EVENTS_WEBHOOK_SECRET must be set together');

  const port = env.PORT;
  const publicBaseUrl = (env.PUBLIC_BASE_URL ?? `http://localhost:${port}`).replace(/\/$/, '');
  const withings = withingsSettings(env, publicBaseUrl);
  problems.push(...withingsProblems(env, withings));
  if (problems.length > 0) throw new ConfigError(problems);
  const sandboxFlag = env.SANDBOX === '1' || env.SANDBOX === 'true';
  const sandboxOff = env.SANDBOX === '0' || env.SANDBOX === 'false';
  const encryptionKeys = [
    ...(env.ENCRYPTION_KEY ? [env.ENCRYPTION_KEY] : []),
    ...(env.ENCRYPTION_KEYS ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
  ];

  return Object.freeze({
    env: env.NODE_ENV,
    port,
    host: env.HOST,
    publicBaseUrl,
    logLevel: env.LOG_LEVEL,
    dataDir: env.DATA_DIR,
    databaseUrl: env.DATABASE_URL,
    databasePoolSize: env.DATABASE_POOL_SIZE,
    redisUrl: env.REDIS_URL,
    jobs: {
      queuePrefix: env.JOBS_QUEUE_PREFIX,
      concurrency: env.JOBS_CONCURRENCY,
      runWorker: env.RUN_WORKER === '1' || env.RUN_WORKER === 'true',
    },
    jwt: {
      secret: env.JWT_SECRET,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      accessTtlSeconds: parseDuration(env.ACCESS_TOKEN_TTL ?? '15m'),
      refreshTtlSeconds: parseDuration(env.REFRESH_TOKEN_TTL ?? '30d'),
    },
    externalAuth:
      env.AUTH_JWKS_URL && env.AUTH_ISSUER && env.AUTH_AUDIENCE
        ? { jwksUrl: env.AUTH_JWKS_URL, issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE }
        : undefined,
    encryptionKeys,
    corsOrigins: env.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    metricsToken: env.METRICS_TOKEN,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    importMaxBytes: env.IMPORT_MAX_BYTES,
    healthItemCacheBytes: env.HEALTH_ITEM_CACHE_MB * 1_048_576,
    authRateLimitPerMinute: env.AUTH_RATE_LIMIT_PER_MINUTE,
    authRegistrationsPerHour: env.AUTH_REGISTRATIONS_PER_HOUR,
    trustProxy: trustProxy as Config['trustProxy'],
    fitbit: {
      clientId: env.FITBIT_CLIENT_ID,
      clientSecret: env.FITBIT_CLIENT_SECRET,
      redirectUri: env.FITBIT_REDIRECT_URI ?? `${publicBaseUrl}/integrations/fitbit/callback`,
      authorizeUrl: env.GOOGLE_OAUTH_AUTHORIZE_URL,
      tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL,
      revokeUrl: env.GOOGLE_OAUTH_REVOKE_URL,
      apiUrl: env.GOOGLE_HEALTH_API_URL.replace(/\/$/, ''),
      webhookSecret: env.GOOGLE_HEALTH_WEBHOOK_SECRET,
      webhookKeysetUrl: env.GOOGLE_HEALTH_WEBHOOK_KEYSET_URL,
    },
    withings,
    fhirServerUrl: env.FHIR_SERVER_URL?.replace(/\/$/, ''),
    phrPyFhirToken: env.PHR_PY_FHIR_TOKEN,
    sync: {
      backfillDays: env.SYNC_BACKFILL_DAYS,
      intervalMinutes: env.SYNC_INTERVAL_MINUTES,
      triggersPerMinute: env.SYNC_TRIGGERS_PER_MINUTE,
    },
    oauthSuccessRedirect: env.OAUTH_SUCCESS_REDIRECT,
    webhooksAllowPrivateUrls:
      env.WEBHOOKS_ALLOW_PRIVATE_URLS === '1' || env.WEBHOOKS_ALLOW_PRIVATE_URLS === 'true',
    eventsWebhook:
      env.EVENTS_WEBHOOK_URL && env.EVENTS_WEBHOOK_SECRET
        ? { url: env.EVENTS_WEBHOOK_URL, secret: env.EVENTS_WEBHOOK_SECRET }
        : undefined,
    eventsStream: {
      maxPerUser: env.EVENTS_STREAM_MAX_PER_USER,
      heartbeatMs: env.EVENTS_STREAM_HEARTBEAT_MS,
      pollMs: env.EVENTS_STREAM_POLL_MS,
    },
    defaultTimeZone: env.DEFAULT_TIME_ZONE,
    sandboxPort: env.PORT === 0 ? 0 : env.SANDBOX_PORT,
    sandbox: sandboxFlag || (!sandboxOff && !env.FITBIT_CLIENT_ID && env.NODE_ENV !== 'production'),
  } satisfies Config);
}

/** The notification URL Withings is given: the secret is its last path segment (docs/withings.md "Connecting"). */
export function withingsNotifyUrl(publicBaseUrl: string, webhookSecret: string): string {
  return `${publicBaseUrl}/webhooks/withings/${webhookSecret}`;
}

function withingsSettings(env: Env, publicBaseUrl: string): Config['withings'] {
  const webhookSecret = env.WITHINGS_WEBHOOK_SECRET;
  return {
    clientId: env.WITHINGS_CLIENT_ID,
    clientSecret: env.WITHINGS_CLIENT_SECRET,
    redirectUri: env.WITHINGS_REDIRECT_URI ?? `${publicBaseUrl}/integrations/withings/callback`,
    authorizeUrl: env.WITHINGS_OAUTH_AUTHORIZE_URL,
    apiUrl: env.WITHINGS_API_URL.replace(/\/$/, ''),
    webhookSecret,
    notifyCallbackUrl: webhookSecret ? withingsNotifyUrl(publicBaseUrl, webhookSecret) : undefined,
  };
}

/**
 * A half-configured Withings client is refused everywhere. In production a configured one also
 * needs the webhook secret and public URLs Withings accepts: it refuses localhost and IP
 * addresses as redirect and callback hosts, and calls back only over https on the default port
 * with a URL of at most 255 characters (docs/withings.md "Connecting").
 */
function withingsProblems(env: Env, withings: Config['withings']): string[] {
  const problems: string[] = [];
  const configured = Boolean(env.WITHINGS_CLIENT_ID || env.WITHINGS_CLIENT_SECRET);
  if (configured && !(env.WITHINGS_CLIENT_ID && env.WITHINGS_CLIENT_SECRET)) {
    problems.push('WITHINGS_CLIENT_ID and WITHINGS_CLIENT_SECRET must be set together');
  }
  if (!configured || env.NODE_ENV !== 'production') return problems;
  if (!withings.webhookSecret) {
    problems.push(
      'WITHINGS_WEBHOOK_SECRET: required in production when Withings is configured (32+ URL-safe characters)',
    );
  }
  if (!isPublicHost(withings.redirectUri)) {
    problems.push(
      `WITHINGS_REDIRECT_URI: Withings refuses ${withings.redirectUri} (localhost or an IP address); set PUBLIC_BASE_URL or WITHINGS_REDIRECT_URI`,
    );
  }
  const notify = withings.notifyCallbackUrl;
  if (notify && !isWithingsCallbackUrl(notify)) {
    problems.push(
      'PUBLIC_BASE_URL: Withings notifications need an https URL on a public host and the default port, at most 255 characters with the secret',
    );
  }
  return problems;
}

function isPublicHost(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host !== 'localhost' && !host.endsWith('.localhost') && isIP(host) === 0;
}

function isWithingsCallbackUrl(url: string): boolean {
  if (!isPublicHost(url)) return false;
  const parsed = new URL(url);
  return url.length <= 255 && parsed.protocol === 'https:' && parsed.port === '';
}
