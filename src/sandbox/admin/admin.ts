// The admin operations, shared by the programmatic API (sandbox.admin) and /_admin HTTP.

import { simulatedTypes } from '../catalog.ts';
import type { SandboxContext } from '../context.ts';
import { parseCivil } from '../lib/time.ts';
import type { DayTruth } from '../people/model.ts';
import type { Delivery, NotifyInput } from '../webhooks/webhook.types.ts';
import type { FaultSpec } from './faults.ts';
import type { RequestLogSnapshot } from './request-log.ts';

export interface SandboxAdmin {
  /** Next matching requests fail (429/500/503/504), are delayed, or hang. */
  injectFaults(faults: FaultSpec | FaultSpec[]): void;
  clearFaults(): void;
  /** Requests held by a `timeout` fault right now. */
  hangingRequests(): number;
  /** The hung requests answer now (504, as a gateway would); returns how many there were. */
  releaseHanging(): number;
  /** The person revokes access (all clients, or one): tokens die, refresh says invalid_grant. Sends DELETE notifications first. */
  revokeGrant(personId: string, options?: { clientId?: string; notify?: boolean }): Promise<number>;
  /** The account has no Google Health profile: every users/me call answers 400 ACCOUNT_NOT_LINKED. */
  markNotLinked(personId: string, notLinked?: boolean): void;
  /** A late device sync restates a past day: data and truth change, UPSERT notifications go out. */
  rewriteDay(personId: string, date: string, options?: { notify?: boolean }): Promise<DayTruth>;
  /** The person the consent page signs in as (undefined: the first person, or login_hint). */
  setConsentPerson(personId: string | undefined): void;
  requestLog(): RequestLogSnapshot;
  resetRequestLog(): void;
  /** "Data changed for person X": sends a notification to every interested subscriber. */
  notify(input: NotifyInput): Promise<Delivery[]>;
  /** Retries every pending delivery now, without waiting for its backoff. */
  deliverPendingWebhooks(): Promise<Delivery[]>;
  webhookDeliveries(): Delivery[];
  /** The signature header value the sandbox's deliveries carry, for a body sent by hand. */
  signWebhookBody(body: string): string;
  /** Requests per person per minute before 429 (default 300). */
  setRateLimit(perMinute: number): void;
}

function requirePerson(ctx: SandboxContext, personId: string): void {
  if (!ctx.people.get(personId)) throw new Error(`Unknown person ${personId}`);
}

export function createAdmin(ctx: SandboxContext): SandboxAdmin {
  return {
    injectFaults(faults) {
      for (const fault of Array.isArray(faults) ? faults : [faults]) ctx.faults.add(fault);
    },
    clearFaults() {
      ctx.faults.clear();
    },
    hangingRequests() {
      return ctx.hanging.size;
    },
    releaseHanging() {
      const held = [...ctx.hanging];
      for (const release of held) release();
      return held.length;
    },
    async revokeGrant(personId, options = {}) {
      requirePerson(ctx, personId);
      if (options.notify !== false) {
        // NOTE: DELETE is also sent when the user revokes consent (§8.4).
        const person = ctx.people.get(personId);
        const first = person ? ctx.people.dates(person)[0] : undefined;
        for (const type of simulatedTypes()) {
          if (!type.webhook || !first) continue;
          const intervals = [{ startTime: `${first}T00:00:00Z`, endTime: ctx.now().getTime() }];
          await ctx.webhooks.notify({ personId, dataType: type.id, operation: 'DELETE', intervals });
        }
      }
      return ctx.oauth.revokeGrantsOf(personId, options.clientId).length;
    },
    markNotLinked(personId, notLinked = true) {
      requirePerson(ctx, personId);
      if (notLinked) ctx.notLinked.add(personId);
      else ctx.notLinked.delete(personId);
    },
    async rewriteDay(personId, date, options = {}) {
      const person = ctx.people.get(personId);
      if (!person) throw new Error(`Unknown person ${personId}`);
      if (!parseCivil(date) || date.length !== 10) throw new Error(`Invalid date ${date}`);
      ctx.people.bumpRevision(personId, date);
      if (options.notify !== false) {
        for (const type of simulatedTypes()) {
          if (type.webhook) await ctx.webhooks.notify({ personId, dataType: type.id, date });
        }
      }
      return ctx.people.truth(person, date);
    },
    setConsentPerson(personId) {
      if (personId !== undefined) requirePerson(ctx, personId);
      ctx.consentPersonId = personId;
    },
    requestLog: () => ctx.requests.snapshot(ctx.oauth),
    resetRequestLog: () => ctx.requests.reset(),
    notify: (input) => {
      requirePerson(ctx, input.personId);
      return ctx.webhooks.notify(input);
    },
    deliverPendingWebhooks: () => ctx.webhooks.deliverPending(),
    webhookDeliveries: () => ctx.webhooks.deliveries(),
    signWebhookBody: (body) => ctx.webhooks.signer.sign(body),
    setRateLimit(perMinute) {
      ctx.rateLimiter.limit = perMinute;
    },
  };
}
