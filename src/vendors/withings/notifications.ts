/**
 * The Withings notification receiver (docs/withings.md "Notifications"): Withings POSTs a
 * form-encoded `userid`, `appli` and a date range (or a `date`, or an `action`), unsigned, to the
 * callback URL it was given, whose last path segment is our secret; before subscribing it sends a
 * HEAD there. Each notification becomes a targeted sync of exactly that user, category and dates.
 *
 *   receiver.check(pathSecret)              -> true when the secret matches (HEAD and POST)
 *   receiver.receive(form)                  -> 'queued' | 'ignored' | 'unavailable'
 *
 * Answers must come within 2 s, and anything but 2xx counts as a failure that Withings retries
 * (and may end the subscription), so unknown users and malformed bodies are taken without work.
 * The receiver only queues jobs: the sync reads the data.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { JobsUnavailableError } from '../../jobs/errors.ts';
import type { Log } from '../../log.ts';
import type { Notices } from '../../sync/notices.ts';
import { addDays } from '../../sync/plan.ts';
import { WITHINGS_APPLI } from './notify.ts';
import { WITHINGS_STREAM_TYPES } from './scopes.ts';

export interface WithingsNotificationDeps {
  log: Log;
  notices: Pick<Notices, 'queue'>;
  /** WITHINGS_WEBHOOK_SECRET; unset: every request is refused. */
  secret: string | undefined;
  /** The user unlinked our app at Withings (appli 46, action=unlink): the grant is gone. */
  unlinked: (vendorUserId: string) => Promise<void>;
}

/** Which of our types each data category announces. */
const APPLI_TYPES: Record<number, readonly string[]> = {
  [WITHINGS_APPLI.weight]: WITHINGS_STREAM_TYPES.measures,
  [WITHINGS_APPLI.temperature]: WITHINGS_STREAM_TYPES.measures,
  [WITHINGS_APPLI.pressure]: WITHINGS_STREAM_TYPES.measures,
  [WITHINGS_APPLI.activity]: WITHINGS_STREAM_TYPES.activity,
  [WITHINGS_APPLI.sleep]: WITHINGS_STREAM_TYPES.sleep,
};

export type WithingsNotifications = ReturnType<typeof createWithingsNotifications>;

export function createWithingsNotifications(deps: WithingsNotificationDeps) {
  const want = deps.secret ? digest(deps.secret) : undefined;

  return {
    /** NOTE: the secret in the URL is the only credential Withings offers; compared in constant time. */
    check(pathSecret: string): boolean {
      return want !== undefined && timingSafeEqual(digest(pathSecret), want);
    },

    async receive(form: unknown): Promise<'queued' | 'ignored' | 'unavailable'> {
      const fields = form && typeof form === 'object' ? (form as Record<string, unknown>) : {};
      const userid = text(fields.userid);
      const appli = Number(text(fields.appli));
      if (!userid || !/^\d{1,20}$/.test(userid) || !Number.isInteger(appli))
        return ignore(deps.log, 'malformed');
      if (appli === WITHINGS_APPLI.user) {
        if (text(fields.action) === 'unlink' || text(fields.action) === 'delete') await deps.unlinked(userid);
        return 'ignored';
      }
      const types = APPLI_TYPES[appli];
      const window = windowOf(fields);
      if (!types || !window) return ignore(deps.log, 'category or dates');
      try {
        const queued = await deps.notices.queue('withings', userid, { types, ...window });
        deps.log.info({ appli, queued }, 'withings: notification received');
        return queued > 0 ? 'queued' : 'ignored';
      } catch (err) {
        // No job queue (Redis down): a non-2xx makes Withings deliver again; the jobs dedupe.
        if (!(err instanceof JobsUnavailableError)) throw err;
        deps.log.warn({ err }, 'withings: notification not queued (jobs unavailable)');
        return 'unavailable';
      }
    },
  };
}

function ignore(log: Log, why: string): 'ignored' {
  log.info({ why }, 'withings: notification ignored');
  return 'ignored';
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return String(value);
  return undefined;
}

/**
 * The local dates to re-read. NOTE: epoch bounds say nothing of the user's zone: a day is added on
 * each side; `date` is a local date (or, in some reports, an epoch) and gets the same margin
 * (docs/withings.md "Notifications").
 */
function windowOf(fields: Record<string, unknown>): { start: string; end: string } | undefined {
  const start = epochDate(text(fields.startdate));
  const end = epochDate(text(fields.enddate));
  if (start && end && start <= end) return { start: addDays(start, -1), end: addDays(end, 1) };
  const raw = text(fields.date);
  const date = raw && /^\d{4}-\d{2}-\d{2}$/.test(raw) ? raw : epochDate(raw);
  return date ? { start: addDays(date, -1), end: addDays(date, 1) } : undefined;
}

function epochDate(value: string | undefined): string | undefined {
  if (!value || !/^\d{1,12}$/.test(value)) return undefined;
  const ms = Number(value) * 1000;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) || ms < Date.UTC(2000, 0, 1) ? undefined : d.toISOString().slice(0, 10);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
