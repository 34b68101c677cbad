/**
 * Delivering events to webhook endpoints (docs/events.md §5), through the job engine:
 *
 *   events.dispatch  (every DISPATCH_TICK_MS, and on demand) takes the outbox's undispatched events
 *                    in order, writes one delivery per matching enabled endpoint of the event's
 *                    owner, marks the events dispatched (one transaction), then enqueues
 *                    `events.deliver` per delivery. It also re-enqueues pending deliveries that
 *                    are overdue (a job lost between the commit and the enqueue), and deletes
 *                    events past EVENT_RETENTION_MS with nothing pending (their log goes too).
 *   events.deliver   one POST of one event to one endpoint; job id `webhook:<endpoint>:<event>`,
 *                    so the same event is never in flight twice for one endpoint. Signed with
 *                    `standardwebhooks` (webhook-id = the event id, stable across retries), with
 *                    the old secret too during a rotation's overlap. The deliveries running at
 *                    once share one read and one success statement (batch.ts); the opened secret
 *                    and the connections (webhook-post.ts) are kept between deliveries.
 *
 * A 2xx within DELIVERY_TIMEOUT_MS is success; anything else (3xx included: redirects are not
 * followed) is recorded and retried on RETRY_SCHEDULE_MS through the runner's DelayError (which
 * spends no job attempt); after the last retry the delivery is `failed`. An endpoint that has
 * failed without a success for DISABLE_AFTER_MS, or answered 410 Gone, is disabled and its owner
 * gets an `endpoint.disabled` event. The URL is checked again before each attempt and the
 * connection pinned to the checked addresses (src/events/endpoint-url.ts, webhook-post.ts).
 */
import { Webhook } from 'standardwebhooks';
import type { Principal } from '../auth/auth.service.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { DelayError, PermanentError } from '../jobs/errors.ts';
import { defineJobs, type Enqueue, handler } from '../jobs/registry.ts';
import type { Log } from '../log.ts';
import type { Vault } from '../vault/vault.ts';
import { batcher } from './batch.ts';
import * as repo from './deliveries.repository.ts';
import { checkEndpointUrl, type Resolve, systemResolve } from './endpoint-url.ts';
import { findEndpoint } from './endpoints.repository.ts';
import { secretContext } from './endpoints.service.ts';
import { insertEvents } from './events.repository.ts';
import { createConnectionPool, type PostResult, postWebhook } from './webhook-post.ts';

export type EventJobs = {
  'events.dispatch': Record<string, never>;
  'events.deliver': { endpointId: string; eventId: string };
};

/**
 * Waits after the 1st, 2nd, … failed attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, so 8
 * attempts over about 27.6 hours (Svix's schedule). docs/events.md §5.
 */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];
/**
 * Each wait is lengthened by up to RETRY_JITTER of itself, at random, so that the deliveries an
 * outage failed together do not all come back in the same instant.
 */
export const RETRY_JITTER = 0.1;
export const withJitter = (ms: number, random: () => number = Math.random): number =>
  Math.round(ms * (1 + RETRY_JITTER * random()));
export const DISABLE_AFTER_MS = 3 * 24 * 3_600_000;
export const DELIVERY_TIMEOUT_MS = 15_000;
export const DISPATCH_TICK_MS = 2_000;
const DISPATCH_BATCH = 500;
/** Dispatched events (and their delivery log) are kept this long once no delivery is pending. */
export const EVENT_RETENTION_MS = 30 * 24 * 3_600_000;
/** A pending delivery this far past its time has lost its job: the dispatcher enqueues it again. */
const OVERDUE_MS = 60_000;

export interface DeliveryDeps {
  db: Db;
  clock: Clock;
  log: Log;
  vault: Vault;
  enqueue: Enqueue<EventJobs>;
  allowPrivateUrls: boolean;
  resolve?: Resolve | undefined;
  /** Tests shorten these. */
  retryScheduleMs?: readonly number[] | undefined;
  timeoutMs?: number | undefined;
}

export type Delivery = ReturnType<typeof createDelivery>;

export interface DeliveryView {
  event_id: string;
  type: string;
  status: 'pending' | 'succeeded' | 'failed';
  next_attempt_at: string | null;
  attempts: {
    at: string;
    status_code: number | null;
    duration_ms: number;
    error: string | null;
    ok: boolean;
  }[];
}

/** The deployment's endpoint row (no owner): a fixed id, so its deliveries survive a restart. */
export const DEPLOYMENT_ENDPOINT_ID = '00000000-0000-4000-8000-00000000e7e7';

const deliverJobId = (endpointId: string, eventId: string) => `webhook:${endpointId}:${eventId}`;

/** Reads and successful settles gathered into one statement (src/events/batch.ts), at most this many. */
const SETTLE_BATCH = 200;
/** Opened signing secrets kept, at most (one per endpoint). */
const SIGNERS_KEPT = 10_000;

export function createDelivery(deps: DeliveryDeps) {
  const { db, clock, log, vault } = deps;
  const resolve = deps.resolve ?? systemResolve;
  const schedule = deps.retryScheduleMs ?? RETRY_SCHEDULE_MS;
  const timeoutMs = deps.timeoutMs ?? DELIVERY_TIMEOUT_MS;

  const pool = createConnectionPool();
  /**
   * Opened signing secrets, per sealed envelope: a rotated secret (or one re-sealed under a new
   * key) is a new envelope and is opened anew, so nothing signs with a secret its row no longer
   * holds. An endpoint's entries go when it is found gone or disabled; at most SIGNERS_KEPT.
   */
  const signers = new Map<string, { endpointId: string; signer: Webhook }>();
  const forgetSigners = (endpointId: string) => {
    for (const [envelope, kept] of signers) if (kept.endpointId === endpointId) signers.delete(envelope);
  };
  const findDelivery = batcher(async (keys: { endpointId: string; eventId: string }[]) => {
    const rows = await repo.findDeliveries(db, keys);
    const byKey = new Map(rows.map((r) => [`${r.endpoint_id}|${r.event_id}`, r]));
    return keys.map((k) => byKey.get(`${k.endpointId}|${k.eventId}`));
  }, SETTLE_BATCH);
  const settleSucceeded = batcher(async (rows: Parameters<typeof repo.settleSucceeded>[1][number][]) => {
    await repo.settleSucceeded(db, rows);
    return rows.map(() => undefined);
  }, SETTLE_BATCH);

  function open(endpointId: string, envelope: string): Webhook {
    const kept = signers.get(envelope);
    if (kept?.endpointId === endpointId) return kept.signer;
    let signer: Webhook;
    try {
      signer = new Webhook(vault.open(envelope, secretContext(endpointId)).reveal());
    } catch (err) {
      // A key removed before `keys:rotate` re-sealed it: retrying cannot help.
      throw new PermanentError('SECRET_UNREADABLE', 'the endpoint secret cannot be opened', { cause: err });
    }
    if (signers.size >= SIGNERS_KEPT) signers.clear();
    signers.set(envelope, { endpointId, signer });
    return signer;
  }

  /** `webhook-signature`: the current secret's, then, within a rotation's overlap, the old one's. */
  function sign(d: repo.DeliveryRow, now: Date, body: string): string {
    const signatures = [open(d.endpoint_id, d.secret).sign(d.event_id, now, body)];
    if (d.previous_secret && d.previous_secret_until && d.previous_secret_until > now) {
      try {
        signatures.push(open(d.endpoint_id, d.previous_secret).sign(d.event_id, now, body));
      } catch {
        // The old secret no longer opens (its key is gone): the current one's signature is enough.
      }
    }
    return signatures.join(' ');
  }

  const enqueueDeliver = (endpointId: string, eventId: string) =>
    deps.enqueue('events.deliver', { endpointId, eventId }, { jobId: deliverJobId(endpointId, eventId) });

  async function dispatch(): Promise<number> {
    let total = 0;
    for (;;) {
      const matched = await db.transaction().execute(async (trx) => {
        const events = await repo.takeUndispatched(trx, DISPATCH_BATCH);
        if (events.length === 0) return undefined;
        const owners = [...new Set(events.flatMap((e) => (e.user_id === null ? [] : [e.user_id])))];
        const endpoints = await repo.matchingEndpoints(trx, owners);
        const now = clock.now();
        const rows = events.flatMap((e) =>
          endpoints
            .filter((w) => w.user_id === null || w.user_id === e.user_id)
            .filter((w) => w.events === null || w.events.includes(e.type))
            .map((w) => ({ endpoint_id: w.id, event_id: e.id, created_at: now })),
        );
        await repo.insertDeliveries(trx, rows);
        await repo.markDispatched(
          trx,
          events.map((e) => e.id),
          now,
        );
        return rows;
      });
      if (!matched) break;
      for (const r of matched) await enqueueDeliver(r.endpoint_id, r.event_id);
      total += matched.length;
    }
    const now = clock.now().getTime();
    const overdue = await repo.dueDeliveries(db, new Date(now - OVERDUE_MS), DISPATCH_BATCH);
    for (const r of overdue) await enqueueDeliver(r.endpoint_id, r.event_id);
    await repo.pruneEvents(db, new Date(now - EVENT_RETENTION_MS), DISPATCH_BATCH);
    return total;
  }

  async function attempt(d: repo.DeliveryRow, now: Date) {
    // The deployment's endpoint is configured by the operator, who may well point it inside.
    const allowPrivate = deps.allowPrivateUrls || d.user_id === null;
    const checked = await checkEndpointUrl(d.url, { allowPrivate, resolve });
    if ('error' in checked) return { error: `url refused: ${checked.error}` };
    const payload = typeof d.payload === 'string' ? JSON.parse(d.payload) : d.payload;
    const body = JSON.stringify({ type: d.type, timestamp: d.occurred_at.toISOString(), data: payload });
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'phr-backend-webhooks',
      'webhook-id': d.event_id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': sign(d, now, body),
    };
    return postWebhook(checked.url, { body, headers, addresses: checked.addresses, timeoutMs }, pool);
  }

  async function deliver(data: EventJobs['events.deliver']): Promise<void> {
    const d = await findDelivery(data);
    if (!d) forgetSigners(data.endpointId);
    if (d?.status !== 'pending') return; // erased, deleted, or already settled
    if (d.endpoint_status !== 'enabled') {
      forgetSigners(d.endpoint_id);
      await repo.setDelivery(db, d.endpoint_id, d.event_id, { status: 'failed', next_attempt_at: null });
      return;
    }
    const now = clock.now();
    const started = performance.now();
    const result: PostResult = await attempt(d, now);
    const duration = Math.round(performance.now() - started);
    const status = 'status' in result ? result.status : null;
    const ok = status !== null && status >= 200 && status < 300;
    const attempts = d.attempts + 1;
    const error = 'error' in result ? result.error : ok ? null : `HTTP ${status}`;
    if (ok) {
      // The common case, gathered with the other deliveries finishing now into one statement. The
      // job waits for it: once a job is done, its outcome is recorded. (Not waiting, so that batches
      // grow larger, measured slower on PGlite: 1.8 against 1.3 ms CPU an event; see bench/events.)
      await settleSucceeded({
        endpoint_id: d.endpoint_id,
        event_id: d.event_id,
        attempted_at: now,
        duration_ms: duration,
        status_code: status,
        attempts,
      });
      return;
    }
    const wait = await db.transaction().execute(async (trx) => {
      await repo.recordAttempt(trx, {
        endpoint_id: d.endpoint_id,
        event_id: d.event_id,
        attempted_at: now,
        duration_ms: duration,
        status_code: status,
        error,
        ok,
      });
      const settle = (s: 'failed') =>
        repo.setDelivery(trx, d.endpoint_id, d.event_id, {
          status: s,
          attempts,
          next_attempt_at: null,
          last_attempt_at: now,
        });
      const failingSince = d.failing_since ?? now;
      const failingFor = now.getTime() - failingSince.getTime();
      // The deployment's endpoint is the operator's: its deliveries fail, it is never disabled.
      if (d.user_id !== null && (status === 410 || failingFor >= DISABLE_AFTER_MS)) {
        await settle('failed');
        await repo.setEndpointHealth(trx, d.endpoint_id, {
          failing_since: failingSince,
          status: 'disabled',
          disabled_at: now,
          updated_at: now,
        });
        const reason = status === 410 ? 'answered 410 Gone' : `failing since ${failingSince.toISOString()}`;
        await insertEvents(
          trx,
          d.user_id,
          [
            {
              type: 'endpoint.disabled',
              payload: { user_id: d.user_id, endpoint_id: d.endpoint_id, reason },
            },
          ],
          now,
        );
        log.warn({ endpointId: d.endpoint_id, status }, 'webhook endpoint disabled');
        return undefined;
      }
      if (!d.failing_since)
        await repo.setEndpointHealth(trx, d.endpoint_id, { failing_since: failingSince, updated_at: now });
      const base = schedule[attempts - 1];
      if (base === undefined) {
        await settle('failed');
        return undefined;
      }
      const delay = withJitter(base);
      await repo.setDelivery(trx, d.endpoint_id, d.event_id, {
        status: 'pending',
        attempts,
        next_attempt_at: new Date(now.getTime() + delay),
        last_attempt_at: now,
      });
      return delay;
    });
    if (wait !== undefined) {
      log.info(
        { endpointId: d.endpoint_id, attempt: attempts, status, error },
        'webhook delivery failed; retrying',
      );
      // NOTE: job delays run on real time (src/jobs), not the injected clock.
      throw DelayError.after(wait, Date.now(), 'webhook delivery failed');
    }
  }

  return {
    dispatch,
    deliver,
    /**
     * At start: the deployment's endpoint (EVENTS_WEBHOOK_URL + EVENTS_WEBHOOK_SECRET) as the
     * row with no owner, updated in place (its deliveries stay), or deleted when unset.
     */
    async configureDeployment(target: { url: string; secret: string } | undefined): Promise<void> {
      if (!target) {
        await db.deleteFrom('webhook_endpoints').where('id', '=', DEPLOYMENT_ENDPOINT_ID).execute();
        return;
      }
      const now = clock.now();
      const row = {
        url: target.url,
        secret: vault.seal(target.secret, secretContext(DEPLOYMENT_ENDPOINT_ID)),
        status: 'enabled' as const,
        updated_at: now,
      };
      await db
        .insertInto('webhook_endpoints')
        .values({
          ...row,
          id: DEPLOYMENT_ENDPOINT_ID,
          user_id: null,
          events: null,
          description: 'EVENTS_WEBHOOK_URL',
          created_at: now,
        })
        .onConflict((oc) => oc.column('id').doUpdateSet(row))
        .execute();
    },
    /** Shutdown, after the job runner: lets a settle under way finish, closes the connections. */
    async close(): Promise<void> {
      await settleSucceeded.idle();
      pool.close();
      signers.clear();
    },
    /** Wakes the dispatcher now (it also runs every DISPATCH_TICK_MS). */
    async kick(): Promise<void> {
      await deps.enqueue('events.dispatch', {}, { jobId: 'events.dispatch' });
    },

    async listDeliveries(principal: Principal, endpointId: string): Promise<{ items: DeliveryView[] }> {
      if (!(await findEndpoint(db, principal.userId, endpointId)))
        throw new AppError('NOT_FOUND', 'Webhook endpoint not found');
      const { deliveries, attempts } = await repo.listDeliveries(db, principal.userId, endpointId, 100);
      return {
        items: deliveries.map((d) => ({
          event_id: d.event_id,
          type: d.type,
          status: d.status,
          next_attempt_at: d.next_attempt_at?.toISOString() ?? null,
          attempts: attempts
            .filter((a) => a.event_id === d.event_id)
            .map((a) => ({
              at: a.attempted_at.toISOString(),
              status_code: a.status_code,
              duration_ms: a.duration_ms,
              error: a.error,
              ok: a.ok,
            })),
        })),
      };
    },

    /**
     * Sends the event to the endpoint again, now: a failed or succeeded delivery starts a fresh
     * series; a pending one (waiting out a retry delay) is tried at once, its schedule going on
     * from there if it fails again.
     */
    async retry(principal: Principal, endpointId: string, eventId: string): Promise<{ status: 'pending' }> {
      const own = await repo.findOwnDelivery(db, principal.userId, endpointId, eventId);
      if (!own) throw new AppError('NOT_FOUND', 'Delivery not found');
      const endpoint = await findEndpoint(db, principal.userId, endpointId);
      if (endpoint?.status !== 'enabled')
        throw new AppError('CONFLICT', 'The endpoint is disabled', {
          errors: [{ field: 'id', message: 'endpoint is disabled' }],
        });
      if (own.status !== 'pending')
        await repo.setDelivery(db, endpointId, eventId, {
          status: 'pending',
          attempts: 0,
          next_attempt_at: clock.now(),
        });
      // A pending one keeps its count of attempts (and where it is in the schedule) but not its
      // wait: its delayed job runs now (`promote`), so no second job is ever in flight for it.
      else
        await repo.setDelivery(db, endpointId, eventId, { status: 'pending', next_attempt_at: clock.now() });
      await deps.enqueue(
        'events.deliver',
        { endpointId, eventId },
        { jobId: deliverJobId(endpointId, eventId), promote: true },
      );
      return { status: 'pending' };
    },

    jobs: defineJobs<EventJobs>({
      'events.dispatch': handler(async () => void (await dispatch())),
      'events.deliver': handler(async (data) => deliver(data), {
        attempts: 5,
        // Not a failed POST (those are delays) but our own error, e.g. a secret the keyring cannot
        // open: the delivery ends `failed`, so the dispatcher does not pick it up again and again.
        onFailure: async (data, err) => {
          const message =
            err instanceof PermanentError ? err.code : err instanceof Error ? err.name : 'error';
          log.error(
            { endpointId: data.endpointId, eventId: data.eventId, err },
            'webhook delivery job failed',
          );
          await db.transaction().execute(async (trx) => {
            await repo.recordAttempt(trx, {
              endpoint_id: data.endpointId,
              event_id: data.eventId,
              attempted_at: clock.now(),
              duration_ms: 0,
              status_code: null,
              error: `internal: ${message}`,
              ok: false,
            });
            await repo.setDelivery(trx, data.endpointId, data.eventId, {
              status: 'failed',
              next_attempt_at: null,
            });
          });
        },
      }),
    }),
  };
}
