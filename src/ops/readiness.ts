/**
 * Readiness: each component's check, run together, reduced to what an orchestrator needs.
 *
 *   createReadiness(checks, { timeoutMs }) -> { run(log) -> { ready, body } }
 *   body = { status: 'ready' | 'not_ready', checks: { database: 'ok' | 'fail', jobs: ..., ... } }
 *
 * The answer is public, so it names components and their state only: a check's detail and error
 * (SQL errors, hostnames, an upstream server's answer) go to the log, once when a component starts
 * failing (and again when its error changes), and once when it recovers. Of the detail, only
 * numbers, flags and single words (kinds, timestamps) are logged: a free-text field such as an
 * upstream answer may echo health data.
 */
import type { Log } from '../log.ts';

type ReadinessLog = Pick<Log, 'info' | 'warn'>;

export interface ReadinessCheck {
  name: string;
  /** Resolves with detail when healthy; throws (or resolves ok:false) when not. */
  check(): Promise<{ ok: boolean; detail?: Record<string, unknown> }>;
}

export type ComponentState = 'ok' | 'fail';

export interface ReadinessBody {
  status: 'ready' | 'not_ready';
  checks: Record<string, ComponentState>;
}

interface Outcome {
  ok: boolean;
  detail?: Record<string, unknown>;
  err?: unknown;
}

export function createReadiness(checks: readonly ReadinessCheck[], options: { timeoutMs: number }) {
  // The last failure reason logged per component, so a polled failure is logged once.
  const failing = new Map<string, string>();

  async function runOne(c: ReadinessCheck): Promise<Outcome> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Outcome>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, err: new Error(`no answer within ${options.timeoutMs} ms`) }),
        options.timeoutMs,
      );
    });
    try {
      return await Promise.race([
        c.check().then(
          (r) => ({ ok: r.ok, ...(r.detail ? { detail: r.detail } : {}) }),
          (err: unknown) => ({ ok: false, err }),
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  function report(log: ReadinessLog, name: string, outcome: Outcome): void {
    if (outcome.ok) {
      if (failing.delete(name))
        log.info({ check: name, detail: outcome.detail }, 'readiness check recovered');
      return;
    }
    const reason = outcome.err instanceof Error ? outcome.err.message : 'not ok';
    if (failing.get(name) === reason) return;
    failing.set(name, reason);
    log.warn({ check: name, err: outcome.err, detail: loggable(outcome.detail) }, 'readiness check failing');
  }

  return {
    async run(log: ReadinessLog): Promise<{ ready: boolean; body: ReadinessBody }> {
      const outcomes = await Promise.all(checks.map(runOne));
      const states: Record<string, ComponentState> = {};
      for (const [i, c] of checks.entries()) {
        const outcome = outcomes[i] ?? { ok: false };
        report(log, c.name, outcome);
        states[c.name] = outcome.ok ? 'ok' : 'fail';
      }
      const ready = Object.values(states).every((s) => s === 'ok');
      return { ready, body: { status: ready ? 'ready' : 'not_ready', checks: states } };
    },
  };
}

function loggable(detail: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!detail) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(detail)) {
    const word = typeof value === 'string' && /^[\w.:+-]{1,40}$/.test(value);
    if (word || value === null || typeof value === 'number' || typeof value === 'boolean') out[key] = value;
  }
  return out;
}
