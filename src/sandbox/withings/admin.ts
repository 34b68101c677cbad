// The Withings admin operations, shared by the programmatic API (sandbox.withings.admin) and
// /_admin/withings over HTTP: faults, the request log, data changes (each notified by default),
// notification hooks, and the user unlinking the app.

import type { PersonProfile } from '../people/model.ts';
import type { WithingsContext } from './context.ts';
import type { MeasureGroupChanges, MeasureGroupInput, SleepSummaryInput } from './data/edits.ts';
import type { ActiveWithingsFault, WithingsFaultSpec } from './faults.ts';
import type { Subscription, WithingsDelivery } from './notify.types.ts';
import type { WithingsRequestLogSnapshot } from './request-log.ts';
import type {
  ActivityFields,
  ActivityRow,
  ActivitySource,
  MeasureGroup,
  NotifyPayload,
  SleepSeries,
} from './withings.types.ts';

export interface MutationOptions {
  /** Send the notification Withings would send for the change (default true). */
  notify?: boolean;
}

export interface WithingsAdmin {
  /** The next matching calls answer an envelope error, an HTML proxy page, or wait. */
  fault(spec: WithingsFaultSpec | WithingsFaultSpec[]): void;
  clearFaults(): void;
  faults(): ActiveWithingsFault[];
  requestLog(): WithingsRequestLogSnapshot;
  resetRequestLog(): void;
  /** Requests per rolling minute per application (default 120); also forgets the calls counted so far. */
  setRateLimit(perMinute: number): void;
  /** The person the consent page (and autoConsent) signs in as. */
  setConsentPerson(personId: string | undefined): void;
  addMeasureGroup(
    personId: string,
    input: MeasureGroupInput,
    options?: MutationOptions,
  ): Promise<MeasureGroup>;
  editMeasureGroup(
    personId: string,
    grpid: number,
    changes: MeasureGroupChanges,
    options?: MutationOptions,
  ): Promise<MeasureGroup>;
  /** The group disappears from every query; its window is notified. */
  deleteMeasureGroup(personId: string, grpid: number, options?: MutationOptions): Promise<MeasureGroup>;
  setActivityDay(
    personId: string,
    date: string,
    fields: Partial<ActivityFields>,
    options?: MutationOptions & { source?: ActivitySource },
  ): Promise<ActivityRow>;
  setSleepSummary(
    personId: string,
    input: SleepSummaryInput,
    options?: MutationOptions,
  ): Promise<SleepSeries>;
  deleteSleepSummary(personId: string, id: number, options?: MutationOptions): Promise<SleepSeries>;
  /** Sends a notification now to the person's subscriptions for that appli; resolves after the first cycle. */
  notify(personId: string, payload: NotifyPayload): Promise<WithingsDelivery[]>;
  /** Notifies everything that arrived or changed since then (groups, days, nights), as Withings would have. */
  notifyChangesSince(personId: string, sinceSeconds: number): Promise<WithingsDelivery[]>;
  /** Sends a delivery's body once more, as a new delivery (a duplicate). */
  replay(deliveryId: string): Promise<WithingsDelivery>;
  deliveries(): WithingsDelivery[];
  /** Runs every retry that is waiting, now. */
  deliverPending(): Promise<WithingsDelivery[]>;
  /** Resolves once no delivery is pending (each delivered or failed). */
  settled(): Promise<void>;
  subscriptions(personId?: string): Subscription[];
  /** The person unlinks the app in Withings: appli 46 action=unlink goes out, then tokens and subscriptions die. */
  unlink(personId: string, options?: { clientId?: string; notify?: boolean }): Promise<WithingsDelivery[]>;
}

const METRIC_APPLI = (type: number): 1 | 2 | 4 =>
  [9, 10, 11, 54].includes(type) ? 4 : [12, 71, 73].includes(type) ? 2 : 1;

function requirePerson(ctx: WithingsContext, personId: string): PersonProfile {
  const person = ctx.people.get(personId);
  if (!person) throw new Error(`Unknown person ${personId}`);
  return person;
}

/** The notifications a set of changed groups causes: one per appli, over the groups' dates. */
function groupNotices(groups: MeasureGroup[]): NotifyPayload[] {
  const windows = new Map<1 | 2 | 4, { startdate: number; enddate: number }>();
  for (const group of groups) {
    for (const appli of new Set(group.measures.map((m) => METRIC_APPLI(m.type)))) {
      const window = windows.get(appli);
      windows.set(appli, {
        startdate: Math.min(window?.startdate ?? group.date, group.date),
        enddate: Math.max(window?.enddate ?? group.date + 1, group.date + 1),
      });
    }
  }
  return [...windows].map(([appli, window]) => ({ appli, ...window }));
}

export function createWithingsAdmin(ctx: WithingsContext): WithingsAdmin {
  const send = async (personId: string, notices: NotifyPayload[], options: MutationOptions = {}) => {
    if (options.notify === false) return [];
    const sent: WithingsDelivery[] = [];
    for (const notice of notices) sent.push(...(await ctx.notify.notify(personId, notice)));
    return sent;
  };
  const sleepNotice = (s: SleepSeries): NotifyPayload => ({
    appli: 44,
    startdate: s.startdate,
    enddate: s.enddate,
  });

  return {
    fault(spec) {
      for (const one of Array.isArray(spec) ? spec : [spec]) ctx.faults.add(one);
    },
    clearFaults: () => ctx.faults.clear(),
    faults: () => ctx.faults.list(),
    requestLog: () => ctx.requests.snapshot(ctx.oauth),
    resetRequestLog: () => ctx.requests.reset(),
    setRateLimit(perMinute) {
      if (!Number.isInteger(perMinute) || perMinute < 1)
        throw new Error('perMinute must be a positive integer');
      ctx.limiter.limit = perMinute;
      ctx.limiter.reset();
    },
    setConsentPerson(personId) {
      if (personId !== undefined) requirePerson(ctx, personId);
      ctx.consentPersonId = personId;
    },
    async addMeasureGroup(personId, input, options) {
      const group = ctx.data.addMeasureGroup(requirePerson(ctx, personId), input);
      if (group.created <= Math.floor(ctx.now().getTime() / 1000))
        await send(personId, groupNotices([group]), options);
      return group;
    },
    async editMeasureGroup(personId, grpid, changes, options) {
      const person = requirePerson(ctx, personId);
      const before = ctx.data.measureGroups(person).find((g) => g.grpid === grpid);
      const group = ctx.data.editMeasureGroup(person, grpid, changes);
      await send(personId, groupNotices(before ? [before, group] : [group]), options);
      return group;
    },
    async deleteMeasureGroup(personId, grpid, options) {
      const group = ctx.data.deleteMeasureGroup(requirePerson(ctx, personId), grpid);
      await send(personId, groupNotices([group]), options);
      return group;
    },
    async setActivityDay(personId, date, fields, options = {}) {
      const row = ctx.data.setActivityDay(requirePerson(ctx, personId), date, fields, options.source);
      await send(personId, [{ appli: 16, date }], options);
      return row;
    },
    async setSleepSummary(personId, input, options) {
      const series = ctx.data.setSleepSummary(requirePerson(ctx, personId), input);
      await send(personId, [sleepNotice(series)], options);
      return series;
    },
    async deleteSleepSummary(personId, id, options) {
      const series = ctx.data.deleteSleepSummary(requirePerson(ctx, personId), id);
      await send(personId, [sleepNotice(series)], options);
      return series;
    },
    notify: (personId, payload) => {
      requirePerson(ctx, personId);
      return ctx.notify.notify(personId, payload);
    },
    async notifyChangesSince(personId, sinceSeconds) {
      const person = requirePerson(ctx, personId);
      const groups = ctx.data.measureGroups(person).filter((g) => g.modified >= sinceSeconds);
      const days = new Set(
        ctx.data
          .activityRows(person)
          .filter((r) => r.modified >= sinceSeconds)
          .map((r) => r.date),
      );
      const nights = ctx.data.sleepSummaries(person).filter((s) => s.modified >= sinceSeconds);
      const notices: NotifyPayload[] = [
        ...groupNotices(groups),
        ...[...days].map((date): NotifyPayload => ({ appli: 16, date })),
        ...nights.map(sleepNotice),
      ];
      return send(personId, notices);
    },
    replay: (deliveryId) => ctx.notify.replay(deliveryId),
    deliveries: () => ctx.notify.deliveries(),
    deliverPending: () => ctx.notify.deliverPending(),
    settled: () => ctx.notify.settled(),
    subscriptions: (personId) =>
      ctx.notify.subscriptions.all().filter((s) => personId === undefined || s.personId === personId),
    async unlink(personId, options = {}) {
      requirePerson(ctx, personId);
      const clients = ctx.oauth
        .clientsOf(personId)
        .filter((c) => !options.clientId || c === options.clientId);
      const sent: WithingsDelivery[] = [];
      for (const clientId of clients) {
        if (options.notify !== false)
          sent.push(...(await ctx.notify.notify(personId, { appli: 46, action: 'unlink' }, clientId)));
        ctx.oauth.revoke(clientId, personId);
        ctx.notify.subscriptions.removeAll(clientId, personId);
      }
      return sent;
    },
  };
}
