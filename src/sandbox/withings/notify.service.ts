// Withings notification deliveries (docs/withings.md, The sandbox emulator): unsigned form-encoded
// POSTs to the URL exactly as registered, a 2 s timeout, HTTP >= 400 or a timeout counting as
// failure, and five cycles of two tries (T+0, 10 s, 1 min, 1 h, 4 h).

import { randomUUID } from 'node:crypto';
import type { PeopleStore } from '../people/people.ts';
import { invalidParams } from './envelope.ts';
import type { Subscription, WithingsDelivery } from './notify.types.ts';
import { APPLI_SCOPE, SubscriptionStore } from './subscriptions.ts';
import type { NotifyPayload, ResolvedWithingsOptions } from './withings.types.ts';

const TRIES_PER_CYCLE = 2;

interface NotifyDeps {
  now: () => Date;
  people: PeopleStore;
  options: ResolvedWithingsOptions;
}

interface Tracker {
  done: Promise<void>;
  finish: () => void;
  timer?: NodeJS.Timeout;
  running: boolean;
}

export class NotifyService {
  readonly #deps: NotifyDeps;
  readonly subscriptions: SubscriptionStore;
  readonly #deliveries: WithingsDelivery[] = [];
  readonly #trackers = new Map<string, Tracker>();
  #closed = false;

  constructor(deps: NotifyDeps) {
    this.#deps = deps;
    this.subscriptions = new SubscriptionStore(deps.options);
  }

  /** Sends the payload to each subscription of the person for its appli (any client); awaits the first cycle. */
  async notify(personId: string, payload: NotifyPayload, onlyClient?: string): Promise<WithingsDelivery[]> {
    const person = this.#deps.people.get(personId);
    if (!person) throw new Error(`Unknown person ${personId}`);
    validatePayload(payload);
    const targets = this.subscriptions.targets(personId, payload.appli, onlyClient);
    const form = new URLSearchParams({
      userid: String(person.withings.userid),
      appli: String(payload.appli),
    });
    if ('date' in payload) form.set('date', payload.date);
    else if ('action' in payload) form.set('action', payload.action);
    else {
      form.set('startdate', String(payload.startdate));
      form.set('enddate', String(payload.enddate));
    }
    const created = targets.map((sub) =>
      this.#queue({
        id: randomUUID(),
        personId,
        userid: person.withings.userid,
        clientId: sub.clientId,
        appli: payload.appli,
        callbackurl: sub.callbackurl,
        body: form.toString(),
        state: 'pending',
        attempts: [],
        cycles: 0,
        createdAt: this.#deps.now().getTime(),
      }),
    );
    await Promise.all(created.map((d) => this.#cycle(d)));
    return created.map(copy);
  }

  /** Sends a delivery's body again as a new delivery (Withings sends duplicates; the app must be idempotent). */
  async replay(deliveryId: string): Promise<WithingsDelivery> {
    const original = this.#deliveries.find((d) => d.id === deliveryId);
    if (!original) throw new Error(`Unknown delivery ${deliveryId}`);
    const duplicate = this.#queue({
      ...original,
      id: randomUUID(),
      state: 'pending',
      attempts: [],
      cycles: 0,
      createdAt: this.#deps.now().getTime(),
      duplicateOf: original.id,
    });
    await this.#cycle(duplicate);
    return copy(duplicate);
  }

  deliveries(): WithingsDelivery[] {
    return this.#deliveries.map(copy);
  }

  /** Runs the next cycle of every delivery waiting for a retry now, without waiting. */
  async deliverPending(): Promise<WithingsDelivery[]> {
    const waiting = this.#deliveries.filter(
      (d) => d.state === 'pending' && !this.#trackers.get(d.id)?.running,
    );
    for (const delivery of waiting) {
      const tracker = this.#trackers.get(delivery.id);
      if (tracker?.timer) clearTimeout(tracker.timer);
    }
    await Promise.all(waiting.map((d) => this.#cycle(d)));
    return waiting.map(copy);
  }

  /** Resolves when no delivery is pending any more (delivered, failed, or the sandbox closed). */
  async settled(): Promise<void> {
    for (;;) {
      const pending = [...this.#trackers.values()];
      if (pending.length === 0) return;
      await Promise.all(pending.map((t) => t.done));
    }
  }

  close(): void {
    this.#closed = true;
    for (const tracker of this.#trackers.values()) {
      if (tracker.timer) clearTimeout(tracker.timer);
      tracker.finish();
    }
    this.#trackers.clear();
  }

  #queue(delivery: WithingsDelivery): WithingsDelivery {
    this.#deliveries.push(delivery);
    let finish = () => {};
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    this.#trackers.set(delivery.id, { done, finish, running: false });
    return delivery;
  }

  async #cycle(delivery: WithingsDelivery): Promise<void> {
    const tracker = this.#trackers.get(delivery.id);
    if (!tracker || tracker.running || delivery.state !== 'pending') return;
    tracker.running = true;
    delete tracker.timer;
    delivery.cycles++;
    try {
      for (let attempt = 0; attempt < TRIES_PER_CYCLE && !this.#closed; attempt++) {
        // A subscription revoked or removed meanwhile gets nothing more.
        const sub = this.#subscriptionFor(delivery);
        if (!sub) break;
        if (await this.#post(delivery, sub)) {
          this.#finish(delivery, 'delivered');
          return;
        }
        if (delivery.state !== 'pending') return;
      }
    } finally {
      tracker.running = false;
    }
    const delays = this.#deps.options.notifyRetryDelaysMs;
    const delay = delays[delivery.cycles - 1];
    if (this.#closed || delay === undefined || !this.#subscriptionFor(delivery)) {
      this.#finish(delivery, 'failed');
      return;
    }
    tracker.timer = setTimeout(() => void this.#cycle(delivery), delay);
    tracker.timer.unref();
  }

  #subscriptionFor(delivery: WithingsDelivery): Subscription | undefined {
    return this.subscriptions.forDelivery(delivery.clientId, delivery.personId, delivery.callbackurl);
  }

  /** One try; true when the callback answered below 400 in time. */
  async #post(delivery: WithingsDelivery, sub: Subscription): Promise<boolean> {
    const at = this.#deps.now().getTime();
    let success = false;
    try {
      // NOTE: no signature and no token: Withings' callbacks carry only the form fields.
      const response = await fetch(delivery.callbackurl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: delivery.body,
        signal: AbortSignal.timeout(this.#deps.options.notifyTimeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      delivery.attempts.push({ at, status: response.status });
      success = response.status < 400;
    } catch (error) {
      delivery.attempts.push({
        at,
        error: (error as Error).name === 'TimeoutError' ? 'timeout' : (error as Error).message,
      });
    }
    sub.failuresInARow = success ? 0 : sub.failuresInARow + 1;
    const limit = this.#deps.options.notifyRemoveAfterFailures;
    if (!success && limit > 0 && sub.failuresInARow >= limit) {
      // NOTE: Withings' older docs remove a subscription after 4 failures in a row (docs/withings.md, The sandbox emulator).
      this.subscriptions.remove(sub);
      this.#finish(delivery, 'failed');
    }
    return success;
  }

  #finish(delivery: WithingsDelivery, state: 'delivered' | 'failed'): void {
    delivery.state = state;
    const tracker = this.#trackers.get(delivery.id);
    if (tracker?.timer) clearTimeout(tracker.timer);
    this.#trackers.delete(delivery.id);
    tracker?.finish();
  }
}

function copy(delivery: WithingsDelivery): WithingsDelivery {
  return { ...delivery, attempts: delivery.attempts.map((a) => ({ ...a })) };
}

function validatePayload(payload: NotifyPayload): void {
  if (!(payload.appli in APPLI_SCOPE)) throw invalidParams('appli');
  if (payload.appli === 16) {
    if (!('date' in payload) || !/^\d{4}-\d{2}-\d{2}$/.test(payload.date))
      throw new Error('appli 16 needs date YYYY-MM-DD');
  } else if (payload.appli === 46) {
    if (!('action' in payload)) throw new Error('appli 46 needs an action');
  } else if (
    !('startdate' in payload) ||
    !Number.isInteger(payload.startdate) ||
    !Number.isInteger(payload.enddate)
  ) {
    throw new Error(`appli ${payload.appli} needs startdate and enddate (epoch seconds)`);
  }
}
