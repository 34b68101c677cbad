// Log format: readable lines on a developer's terminal, JSON lines everywhere else, and JSON
// when pino-pretty (a dev dependency) is missing, as in a production install.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logDestination } from '../../src/log.ts';

/** A stdout stand-in that records what is written; `isTTY` as a terminal reports it. */
function fakeStdout(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return Object.assign(out, { isTTY, text: () => chunks.join('') });
}

describe('logDestination', () => {
  it('on a terminal outside production, writes readable lines, not JSON', () => {
    const stdout = fakeStdout(true);
    const log = createLogger('info', logDestination('development', stdout));
    log.info('demo mode: sandbox at http://127.0.0.1:8090');
    log.info(
      { req: { method: 'POST', url: '/auth/login', id: 'r1' }, res: { statusCode: 200 }, responseTime: 2.5 },
      'request completed',
    );
    const lines = stdout.text().trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(() => JSON.parse(line)).toThrow();
    expect(lines[0]).toMatch(/INFO.*demo mode: sandbox at http:\/\/127\.0\.0\.1:8090/);
    expect(lines[1]).toMatch(/INFO.*POST \/auth\/login 200 2\.5 ms/);
  });

  it('still redacts secrets in readable lines', () => {
    const stdout = fakeStdout(true);
    const log = createLogger('info', logDestination('development', stdout));
    log.info({ body: { password: 'hunter2-secret' } }, 'login');
    expect(stdout.text()).toContain('[REDACTED]');
    expect(stdout.text()).not.toContain('hunter2-secret');
  });

  it('JSON when stdout is not a terminal, in production, or without pino-pretty', () => {
    expect(logDestination('development', fakeStdout(false))).toBeUndefined();
    expect(logDestination('test', fakeStdout(false))).toBeUndefined();
    expect(logDestination('production', fakeStdout(true))).toBeUndefined();
    const missing = (id: string): never => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    };
    expect(logDestination('development', fakeStdout(true), missing)).toBeUndefined();
  });
});
