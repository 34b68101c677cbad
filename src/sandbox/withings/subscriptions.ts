// Notification subscriptions per app, user, category and URL (the /notify actions), with the
// HEAD check Withings makes before it accepts a callback URL.

import { callbackUrlProblem } from './callback-url.ts';
import { WithingsError } from './envelope.ts';
import type { Subscription } from './notify.types.ts';
import type { ResolvedWithingsOptions } from './withings.types.ts';

/** The scope a subscription category needs. */
export const APPLI_SCOPE: Record<number, string> = {
  1: 'user.metrics',
  2: 'user.metrics',
  4: 'user.metrics',
  16: 'user.activity',
  44: 'user.activity',
  46: 'user.info',
  50: 'user.sleepevents',
  51: 'user.sleepevents',
  52: 'user.sleepevents',
  54: 'user.metrics',
  55: 'user.metrics',
  58: 'user.metrics',
};

export function badCallbackUrl(): WithingsError {
  return new WithingsError(293, 'The callback URL is either unknown or invalid');
}

export function noSubscription(): WithingsError {
  return new WithingsError(286, 'No subscription found for this callback URL');
}

function keyOf(sub: Pick<Subscription, 'clientId' | 'personId' | 'appli' | 'callbackurl'>): string {
  return `${sub.clientId}|${sub.personId}|${sub.appli}|${sub.callbackurl}`;
}

export class SubscriptionStore {
  readonly #options: ResolvedWithingsOptions;
  readonly #subscriptions = new Map<string, Subscription>();

  constructor(options: ResolvedWithingsOptions) {
    this.#options = options;
  }

  async verify(callbackurl: string): Promise<void> {
    if (callbackUrlProblem(callbackurl, this.#options.strictCallbackUrls)) throw badCallbackUrl();
    try {
      const response = await fetch(callbackurl, {
        method: 'HEAD',
        headers: { 'user-agent': 'Withings-Notification-Checker' },
        signal: AbortSignal.timeout(this.#options.notifyTimeoutMs),
      });
      await response.arrayBuffer();
      if (response.status < 200 || response.status > 299) throw badCallbackUrl();
    } catch (error) {
      if (error instanceof WithingsError) throw error;
      throw badCallbackUrl();
    }
  }

  async subscribe(sub: Omit<Subscription, 'failuresInARow'>): Promise<void> {
    await this.verify(sub.callbackurl);
    const key = keyOf(sub);
    const existing = this.#subscriptions.get(key);
    // NOTE: a repeated subscribe is undocumented; the sandbox keeps one and answers success.
    this.#subscriptions.set(key, { ...sub, failuresInARow: existing?.failuresInARow ?? 0 });
  }

  list(clientId: string, personId: string, appli?: number): Subscription[] {
    return [...this.#subscriptions.values()].filter(
      (s) => s.clientId === clientId && s.personId === personId && (appli === undefined || s.appli === appli),
    );
  }

  find(clientId: string, personId: string, callbackurl: string, appli: number): Subscription {
    const sub = this.#subscriptions.get(keyOf({ clientId, personId, appli, callbackurl }));
    if (!sub) throw noSubscription();
    return sub;
  }

  async update(
    current: Subscription,
    change: { callbackurl?: string; appli?: number; comment?: string },
  ): Promise<void> {
    if (change.callbackurl !== undefined && change.callbackurl !== current.callbackurl)
      await this.verify(change.callbackurl);
    const next: Subscription = { ...current, ...change };
    this.#subscriptions.delete(keyOf(current));
    this.#subscriptions.set(keyOf(next), next);
  }

  /** Removes the person's subscriptions of a client to a URL (one appli, or all). */
  revoke(clientId: string, personId: string, callbackurl: string, appli?: number): number {
    const matching = this.list(clientId, personId, appli).filter((s) => s.callbackurl === callbackurl);
    if (matching.length === 0) throw noSubscription();
    for (const sub of matching) this.#subscriptions.delete(keyOf(sub));
    return matching.length;
  }

  /** Everything of a person for a client (revoke and unlink). */
  removeAll(clientId: string, personId: string): Subscription[] {
    const removed = this.list(clientId, personId);
    for (const sub of removed) this.#subscriptions.delete(keyOf(sub));
    return removed;
  }

  all(): Subscription[] {
    return [...this.#subscriptions.values()].map((s) => ({ ...s }));
  }

  /**
   * NOTE: appli 46 (unlink) may reach an app that never subscribed to 46; the sandbox sends it to the
   * app's appli-46 URLs, or else to every URL the person's subscriptions use (docs/withings.md, The sandbox emulator).
   */
  targets(personId: string, appli: number, onlyClient?: string): Subscription[] {
    const mine = [...this.#subscriptions.values()].filter(
      (s) => s.personId === personId && (onlyClient === undefined || s.clientId === onlyClient),
    );
    const direct = mine.filter((s) => s.appli === appli);
    if (appli !== 46) return direct;
    const byClientUrl = new Map<string, Subscription>();
    for (const sub of mine) {
      const hasDirect = direct.some((d) => d.clientId === sub.clientId);
      if (hasDirect && sub.appli !== 46) continue;
      byClientUrl.set(`${sub.clientId}|${sub.callbackurl}`, sub);
    }
    return [...byClientUrl.values()];
  }

  /** The live subscription a delivery goes to (same app, person and URL), if it still exists. */
  forDelivery(clientId: string, personId: string, callbackurl: string): Subscription | undefined {
    return [...this.#subscriptions.values()].find(
      (s) => s.clientId === clientId && s.personId === personId && s.callbackurl === callbackurl,
    );
  }

  remove(sub: Subscription): void {
    this.#subscriptions.delete(keyOf(sub));
  }
}
