import pino, { type DestinationStream, type Logger } from 'pino';

export type Log = Logger;

// Query parameters that carry credentials: never written to a log line.
const SECRET_PARAMS = /([?&](?:token|access_token|refresh_token|code|state|client_secret|id_token)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[REDACTED]');
}

// NOTE: redaction is by path; health data never goes into log objects in the first place
// (services log ids and counts only). These paths catch credentials wherever they appear.
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["set-cookie"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.token',
  '*.client_secret',
  '*.secret',
  '*.authorization',
  '*.Authorization',
  '*.accessToken',
  '*.refreshToken',
  '*.clientSecret',
  '*.encryptionKey',
  '*.encryptionKeys',
  '*.jwtSecret',
  'config.jwt.secret',
  'config.encryptionKeys',
];

export function createLogger(level: string, destination?: DestinationStream): Log {
  return pino(
    {
      level,
      redact: { paths: redactPaths, censor: '[REDACTED]' },
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
}
