// Notifications (docs/google-health.md §8.4-8.6): who hears about a change, the body, the
// Authorization secret and signature, and retries with exponential backoff on non-2xx.

import { randomUUID } from 'node:crypto';
import { findDataType, readScopesFor } from '../catalog.ts';
import {
  addDays,
  civilDateTimeAt,
  civilStringAt,
  localDateOf,
  offsetSecondsAt,
  rfc3339,
  startOfLocalDay,
} from '../lib/time.ts';
import type { OAuthService } from '../oauth/oauth.service.ts';
import type { PeopleStore } from '../people/people.ts';
import { createWebhookSigner, SIGNATURE_HEADER, type WebhookSigner } from './signature.ts';
import { SubscriberStore } from './subscribers.ts';
import type { Delivery, NotifyInput, NotifyInterval, Subscriber, WebhookOptions } from './webhook.types.ts';

const MAX_DELAY_MS = 3_600_000;
const KEEP_MS = 7 * 86_400_000;

export interface WebhookDeps {
  now: () => Date;
  oauth: OAuthService;
  people: PeopleStore;
  options: WebhookOptions;
}

export class WebhookService {
  readonly store: SubscriberStore;
  readonly signer: WebhookSigner = createWebhookSigner();
  readonly #deps: WebhookDeps;
  readonly #deliveries: Delivery[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #automaticNames = new Map<string, string>();
  readonly #inFlight = new Set<string>();
  #closed = false;

  constructor(deps: WebhookDeps) {
    this.#deps = deps;
    this.store = new SubscriberStore(deps.now);
  }

  /** Subscribers that should hear about this person's type, with the subscription name to send. */
  #audience(personId: string, dataType: string): { subscriber: Subscriber; subscriptionName: string }[] {
    const type = findDataType(dataType);
    if (!type?.webhook) return [];
    const scopes = new Set(this.#deps.oauth.activeGrantsOf(personId).flatMap((g) => [...g.scopes]));
    const consented = readScopesFor(type.scope).some((s) => scopes.has(s));
    const audience: { subscriber: Subscriber; subscriptionName: string }[] = [];
    for (const subscriber of this.store.subscribers.values()) {
      if (subscriber.state !== 'ACTIVE') continue;
      const automatic = subscriber.subscriberConfigs.some(
        (c) => c.subscriptionCreatePolicy === 'AUTOMATIC' && c.dataTypes.includes(dataType),
      );
      // NOTE: AUTOMATIC covers the intersection of granted scopes and configured types; its name is a random UUID (§8.3-8.4).
      if (automatic && consented) {
        const key = `${subscriber.name}/${personId}`;
        const name = this.#automaticNames.get(key) ?? randomUUID();
        this.#automaticNames.set(key, name);
        audience.push({ subscriber, subscriptionName: name });
      }
      for (const subscription of this.store.subscriptions.get(subscriber.name) ?? []) {
        if (subscription.user === `users/${personId}` && subscription.dataTypes.includes(dataType)) {
          audience.push({
            subscriber,
            subscriptionName: subscription.name.split('/').pop() ?? subscription.name,
          });
        }
      }
    }
    return audience;
  }

  #intervals(input: NotifyInput): Record<string, unknown>[] {
    const person = this.#deps.people.get(input.personId);
    if (!person) throw new Error(`Unknown person ${input.personId}`);
    const nowMs = this.#deps.now().getTime();
    const toMs = (v: string | number) => (typeof v === 'number' ? v : Date.parse(v));
    let spans: NotifyInterval[];
    if (input.intervals?.length) spans = input.intervals;
    else {
      const date = input.date ?? localDateOf(person.timeZone, nowMs);
      const end = Math.min(nowMs, startOfLocalDay(person.timeZone, addDays(date, 1)));
      spans = [{ startTime: startOfLocalDay(person.timeZone, date), endTime: end }];
    }
    return spans.map((span) => {
      const start = toMs(span.startTime);
      const end = toMs(span.endTime);
      const startOffset = offsetSecondsAt(person.timeZone, start);
      const endOffset = offsetSecondsAt(person.timeZone, end);
      return {
        physicalTimeInterval: { startTime: rfc3339(start), endTime: rfc3339(end) },
        civilDateTimeInterval: {
          startDateTime: civilDateTimeAt(start, startOffset),
          endDateTime: civilDateTimeAt(end, endOffset),
        },
        civilIso8601TimeInterval: {
          startTime: civilStringAt(start, startOffset),
          endTime: civilStringAt(end, endOffset),
        },
      };
    });
  }

  /** Queues a notification to every interested subscriber and makes the first attempt. */
  async notify(input: NotifyInput): Promise<Delivery[]> {
    const intervals = this.#intervals(input);
    const created: Delivery[] = [];
    for (const { subscriber, subscriptionName } of this.#audience(input.personId, input.dataType)) {
      const data = {
        data: {
          version: '1',
          clientProvidedSubscriptionName: subscriptionName,
          healthUserId: input.personId,
          operation: input.operation ?? 'UPSERT',
          dataType: input.dataType,
          intervals,
        },
      };
      const delivery: Delivery = {
        id: randomUUID(),
        subscriber: subscriber.name,
        personId: input.personId,
        dataType: input.dataType,
        operation: input.operation ?? 'UPSERT',
        body: JSON.stringify((this.#deps.options.bodyFormat ?? 'array') === 'array' ? [data] : data),
        state: 'pending',
        attempts: [],
        createdAt: this.#deps.now().getTime(),
      };
      this.#deliveries.push(delivery);
      created.push(delivery);
    }
    await Promise.all(created.map((d) => this.#attempt(d)));
    return created;
  }

  /** Attempts every pending delivery now, ignoring backoff (deterministic for tests). */
  async deliverPending(): Promise<Delivery[]> {
    const pending = this.#deliveries.filter((d) => d.state === 'pending');
    await Promise.all(pending.map((d) => this.#attempt(d)));
    return pending;
  }

  deliveries(): Delivery[] {
    return this.#deliveries.map((d) => ({ ...d, attempts: [...d.attempts] }));
  }

  async #attempt(delivery: Delivery): Promise<void> {
    const subscriber = this.store.subscribers.get(delivery.subscriber);
    if (!subscriber || delivery.state !== 'pending' || this.#closed || this.#inFlight.has(delivery.id))
      return;
    this.#inFlight.add(delivery.id);
    try {
      await this.#post(subscriber, delivery);
    } finally {
      this.#inFlight.delete(delivery.id);
    }
  }

  async #post(subscriber: Subscriber, delivery: Delivery): Promise<void> {
    const at = this.#deps.now().getTime();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Google-Health-API-Webhooks',
      [SIGNATURE_HEADER]: this.signer.sign(delivery.body),
    };
    if (subscriber.secret) headers.authorization = subscriber.secret;
    try {
      const response = await fetch(subscriber.endpointUri, {
        method: 'POST',
        headers,
        body: delivery.body,
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      delivery.attempts.push({ at: rfc3339(at), status: response.status });
      if (response.ok) {
        delivery.state = 'delivered';
        delete delivery.nextAttemptAt;
        return;
      }
    } catch (error) {
      delivery.attempts.push({ at: rfc3339(at), error: (error as Error).message });
    }
    this.#scheduleRetry(delivery, at);
  }

  #scheduleRetry(delivery: Delivery, at: number): void {
    const { retryBaseMs = 1000, maxAttempts = 12 } = this.#deps.options;
    // NOTE: undelivered notifications are retried with exponential backoff and dropped after 7 days (§8.6).
    if (delivery.attempts.length >= maxAttempts || at - delivery.createdAt >= KEEP_MS) {
      delivery.state = 'failed';
      delete delivery.nextAttemptAt;
      return;
    }
    const delay = Math.min(MAX_DELAY_MS, retryBaseMs * 2 ** (delivery.attempts.length - 1));
    delivery.nextAttemptAt = at + delay;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#attempt(delivery);
    }, delay);
    timer.unref();
    this.#timers.add(timer);
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
