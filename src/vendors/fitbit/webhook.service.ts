/**
 * The Google Health webhook receiver (docs/google-health.md §8): the verification handshake, and notifications
 * turned into targeted sync jobs. The notification carries no data; the job reads it.
 *
 *   receive(authorizationHeader, body, { rawBody, signature }) -> 201 (verified) | 204 (accepted) | 401 | 403 | 503 (keys or job queue unavailable)
 *
 * - Handshake: Google POSTs {"type":"verification"} twice, with the registered secret in
 *   `Authorization` (answer 201) and without it (answer 401 or 403); both must hold (§8.2).
 * - Notifications: one object or a JSON array of them (§8.4, §14.5); `healthUserId` routes to the
 *   integrations holding that vendor_user_id; unknown users and types are ignored (204).
 * - Duplicates coalesce (src/sync/notices.ts).
 * - A notification must also carry Google's ECDSA signature over its raw body (§8.5 b; header
 *   GOOGLE-HEALTH-API-SIGNATURE or the older X-HEALTHAPI-SIGNATURE): missing or wrong is 401, and
 *   503 when Google's keyset cannot be had (Google retries; webhook-keys.ts).
 *   The Authorization secret alone would let anyone who learned it trigger syncs.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { JobsUnavailableError } from '../../jobs/errors.ts';
import type { Log } from '../../log.ts';
import type { Notices } from '../../sync/notices.ts';
import { addDays } from '../../sync/plan.ts';
import { typeForDataType } from './sync-plan.ts';
import type { WebhookKeys } from './webhook-keys.ts';

export interface WebhookDeps {
  log: Log;
  /** Queues the targeted syncs (src/sync/notices.ts). */
  notices: Pick<Notices, 'queue'>;
  /** GOOGLE_HEALTH_WEBHOOK_SECRET; unset: every request is refused. */
  secret: string | undefined;
  /** Google's signing keys (GOOGLE_HEALTH_WEBHOOK_KEYSET_URL). */
  keys: WebhookKeys;
}

interface Notification {
  healthUserId?: unknown;
  dataType?: unknown;
  operation?: unknown;
  intervals?: unknown;
}

export type WebhookService = ReturnType<typeof createWebhookService>;

export function createWebhookService(deps: WebhookDeps) {
  const accepted = deps.secret
    ? [deps.secret, deps.secret.startsWith('Bearer ') ? undefined : `Bearer ${deps.secret}`]
        .filter((s): s is string => s !== undefined)
        .map(digest)
    : [];

  /** NOTE: `endpointAuthorization.secret` is the complete Authorization header value; compared in constant time (§8.1, §8.5). */
  function authorized(header: string | undefined): boolean {
    if (!header) return false;
    const got = digest(header);
    return accepted.some((want) => timingSafeEqual(got, want));
  }

  async function route(n: Notification): Promise<number> {
    if (typeof n.healthUserId !== 'string' || typeof n.dataType !== 'string') return 0;
    const type = typeForDataType(n.dataType);
    const window = datesOf(n.intervals);
    if (!type || !window) return 0;
    return deps.notices.queue('fitbit', n.healthUserId, { types: [type], ...window });
  }

  return {
    async receive(
      header: string | undefined,
      body: unknown,
      signed: { rawBody: string; signature: string | undefined },
    ): Promise<201 | 204 | 401 | 403 | 503> {
      const ok = authorized(header);
      if (!ok) return header ? 403 : 401;
      if (isVerification(body)) return 201;
      const check = await deps.keys.verify(signed.rawBody, signed.signature);
      if (check !== 'valid') {
        deps.log.warn({ signature: check }, 'webhook: notification refused (signature)');
        return check === 'unavailable' ? 503 : 401;
      }
      const list = Array.isArray(body) ? body : [body];
      let enqueued = 0;
      try {
        for (const item of list) {
          const data = (item as { data?: Notification } | null)?.data;
          if (data && typeof data === 'object') enqueued += await route(data);
        }
      } catch (err) {
        // No job queue (Redis down): 503 makes Google deliver again; the jobs dedupe on redelivery.
        if (!(err instanceof JobsUnavailableError)) throw err;
        deps.log.warn({ err }, 'webhook: notifications not queued (jobs unavailable)');
        return 503;
      }
      deps.log.info({ notifications: list.length, enqueued }, 'webhook: notifications received');
      return 204;
    },
  };
}

export function isVerification(body: unknown): boolean {
  return !Array.isArray(body) && (body as { type?: unknown } | null)?.type === 'verification';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The local dates an interval list covers (inclusive), from the civil ISO times, else physical ones. */
function datesOf(intervals: unknown): { start: string; end: string } | undefined {
  if (!Array.isArray(intervals)) return undefined;
  let start: string | undefined;
  let end: string | undefined;
  for (const raw of intervals) {
    const i = raw as {
      civilIso8601TimeInterval?: { startTime?: unknown; endTime?: unknown };
      physicalTimeInterval?: { startTime?: unknown; endTime?: unknown };
    };
    const civil = i.civilIso8601TimeInterval;
    let s: string | undefined;
    let e: string | undefined;
    if (typeof civil?.startTime === 'string' && typeof civil.endTime === 'string') {
      s = civil.startTime.slice(0, 10);
      // An interval ending exactly at local midnight does not touch the next date.
      e = /T00:00(:00(\.0+)?)?$/.test(civil.endTime)
        ? addDays(civil.endTime.slice(0, 10), -1)
        : civil.endTime.slice(0, 10);
    } else {
      const p = i.physicalTimeInterval;
      if (typeof p?.startTime !== 'string' || typeof p.endTime !== 'string') continue;
      // NOTE: UTC dates only: widen by a day each side to cover any local offset.
      s = addDays(p.startTime.slice(0, 10), -1);
      e = addDays(p.endTime.slice(0, 10), 1);
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(s) || !/^\d{4}-\d{2}-\d{2}$/.test(e) || e < s) continue;
    start = start === undefined || s < start ? s : start;
    end = end === undefined || e > end ? e : end;
  }
  return start && end ? { start, end } : undefined;
}
