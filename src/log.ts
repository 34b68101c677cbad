import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';

export type Log = Logger;

// Query parameters that carry credentials: never written to a log line.
const SECRET_PARAMS = /([?&](?:token|access_token|refresh_token|code|state|client_secret|id_token)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[REDACTED]');
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
const CENSOR = '[REDACTED]';

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
