import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';

export type Log = Logger;

const CENSOR = '[REDACTED]';

// Query parameters whose values describe a request and name no one: logged as sent. Every other
// value (tokens, OAuth `code` and `state`, `login_hint`, search values) is logged as [REDACTED],
// under its decoded name, so that `?%74oken=` is caught as `token`.
const LOGGED_PARAMS = new Set([
  'type',
  'start',
  'end',
  'source',
  'sort',
  'limit',
  'format',
  'bucket',
  'vendor',
  'redirect',
  'status',
  'error',
  'scope',
  'date',
  'category',
  '_count',
  '_sort',
  '_summary',
  '_elements',
  '_total',
  '_format',
]);
const MAX_LOGGED_PARAMS = 100;

/** Paths that carry a secret as a segment: Withings' notification URL (docs/withings.md "Receiving notifications"). */
const SECRET_PATH = /^(\/(?:[^/?]*\/)*webhooks\/withings\/)[^/?]+/;

/**
 * The path as sent (a secret segment censored) and the query with every value outside
 * LOGGED_PARAMS redacted.
 */
export function redactUrl(raw: string): string {
  const url = raw.includes('/webhooks/') ? raw.replace(SECRET_PATH, `$1${CENSOR}`) : raw;
  const q = url.indexOf('?');
  if (q === -1) return url;
  const parts = url.slice(q + 1).split('&', MAX_LOGGED_PARAMS + 1);
  let out = url.slice(0, q);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (part === '') continue;
    if (i === MAX_LOGGED_PARAMS) {
      out += '&…';
      break;
    }
    const eq = part.indexOf('=');
    const key = decodeParam(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? '' : `=${LOGGED_PARAMS.has(key) ? part.slice(eq + 1) : CENSOR}`;
    out += `${out.length === q ? '?' : '&'}${key}${value}`;
  }
  return out;
}

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}

// NOTE: redaction is by key; health data never goes into log objects in the first place
// (services log ids and counts only). These catch credentials wherever they appear:
// - these paths, through pino's redaction;
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["set-cookie"]',
  'res.headers["set-cookie"]',
  'config.jwt.secret',
  'config.phrPyFhirToken',
  'config.encryptionKeys',
];
// - these keys of any object one level down (what the paths '*.password', ... meant), checked by
//   censorSecrets below: as wildcard paths they were most of the cost of a log line
//   (bench/api/README.md), and every request writes one. test/ops/log-redaction.test.ts proves the
//   output the same as with the wildcard paths, on random objects and child bindings.
const secretKeys = [
  'password',
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'client_secret',
  'secret',
  'authorization',
  'Authorization',
  'accessToken',
  'refreshToken',
  'clientSecret',
  'encryptionKey',
  'encryptionKeys',
  'jwtSecret',
];

/** `obj` with every secret key of its object values censored (copied only when one is found). */
function censorSecrets(obj: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (value === null || typeof value !== 'object') continue;
    let copy: Record<string, unknown> | undefined;
    for (const secret of secretKeys) {
      if (!Object.hasOwn(value, secret)) continue;
      copy ??= (Array.isArray(value) ? [...value] : { ...value }) as Record<string, unknown>;
      copy[secret] = CENSOR;
    }
    if (copy) {
      out ??= { ...obj };
      out[key] = copy;
    }
  }
  return out ?? obj;
}

// What an error log keeps: its kind, message, stack, codes and vendor answer. Other fields go, since
// some carry data: a PostgreSQL error's `detail` holds the failing row or key (an email, a value).
const ERROR_FIELDS = new Set([
  'type',
  'message',
  'stack',
  'code',
  'status',
  'statusCode',
  'vendor',
  'vendorStatus',
  'vendorBody',
  'retryable',
  'timedOut',
  'retryAfter',
  'errors',
  'severity',
  'constraint',
  'table',
  'column',
  'routine',
]);

function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  // Its message and stack include those of its causes.
  const full = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  for (const key of Object.keys(full)) if (ERROR_FIELDS.has(key)) kept[key] = full[key];
  if (err instanceof AggregateError) kept.aggregateErrors = err.errors.map(serializeError);
  return kept;
}

export function createLogger(level: string, destination?: DestinationStream): Log {
  const log = pino(
    {
      level,
      redact: { paths: redactPaths, censor: CENSOR },
      formatters: { log: censorSecrets },
      serializers: {
        req(req: { method: string; url: string; id: string; ip?: string }) {
          return { id: req.id, method: req.method, url: redactUrl(req.url), ip: req.ip };
        },
        res(res: { statusCode: number }) {
          return { statusCode: res.statusCode };
        },
        err: serializeError,
      },
    },
    destination,
  );
  // Child bindings too (pino applies no formatter to them): children inherit this `child`.
  const child = log.child;
  log.child = function (this: Log, bindings, options) {
    return child.call(this, censorSecrets(bindings), options);
  } as Log['child'];
  return log;
}

/**
 * Where a process logs: pino-pretty's readable lines on a developer's terminal (stdout a TTY,
 * NODE_ENV not production), JSON lines otherwise, and also when pino-pretty (a dev dependency)
 * is not installed. `undefined` means pino's default, JSON on stdout.
 */
export function logDestination(
  env: string,
  stdout: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
  load: (id: string) => unknown = createRequire(import.meta.url),
): DestinationStream | undefined {
  if (env === 'production' || !stdout.isTTY) return undefined;
  let pretty: (options: Record<string, unknown>) => DestinationStream;
  try {
    pretty = load('pino-pretty') as typeof pretty;
  } catch {
    return undefined;
  }
  return pretty({
    colorize: true,
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // An access-log line reads "POST /path 201 2.5 ms"; other lines keep their message.
    messageFormat: (line: Record<string, unknown>, key: string) => {
      const { req, res, responseTime } = line as {
        req?: { method?: string; url?: string };
        res?: { statusCode?: number };
        responseTime?: number;
      };
      return req && res
        ? `${req.method} ${req.url} ${res.statusCode} ${responseTime} ms`
        : String(line[key] ?? '');
    },
    ignore: 'pid,hostname,reqId,req,res,responseTime',
    destination: stdout,
  });
}
