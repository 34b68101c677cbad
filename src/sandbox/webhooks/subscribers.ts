// projects.subscribers and subscriptions (docs/google-health.md §3.3, §8.1-8.3): create and patch
// run the two-request verification handshake before the subscriber becomes ACTIVE.

import { findDataType } from '../catalog.ts';
import { ApiError, failedPrecondition, invalidArgument, notFound } from '../lib/errors.ts';
import { rfc3339 } from '../lib/time.ts';
import type { Subscriber, SubscriberConfig, Subscription } from './webhook.types.ts';

type Json = Record<string, unknown>;

const SUBSCRIBER_ID = /^[a-z]([a-z0-9-]{2,34}[a-z0-9])$/;
const VERIFY_BODY = JSON.stringify({ type: 'verification' });

export function subscriberJson(subscriber: Subscriber): Json {
  const { secret, ...rest } = subscriber;
  // NOTE: DISC names the output field secretSet; the guide says authorizationTokenSet (§14.2).
  return { ...rest, endpointAuthorization: { secretSet: secret !== undefined } };
}

/** NOTE: DISC says create/patch/delete return a done Operation; the guide shows bare bodies (§14.1). */
export function operation(projectPath: string, response: Json | undefined, type: string): Json {
  const op: Json = { name: `${projectPath}/operations/${Date.now().toString(36)}`, done: true };
  op.response = {
    '@type': `type.googleapis.com/google.devicesandservices.health.v4.${type}`,
    ...(response ?? {}),
  };
  return op;
}

function parseConfigs(value: unknown): SubscriberConfig[] {
  if (!Array.isArray(value)) throw invalidArgument('subscriberConfigs must be a list.');
  return value.map((raw, i) => {
    const config = raw as Json;
    const types = config.dataTypes;
    const policy = config.subscriptionCreatePolicy;
    if (!Array.isArray(types) || types.length === 0)
      throw invalidArgument(`subscriberConfigs[${i}].dataTypes is required.`);
    for (const t of types) {
      // NOTE: data types must be bare kebab ids; full resource paths gave 400 (3P, §3.3).
      const type = typeof t === 'string' ? findDataType(t) : undefined;
      if (!type) throw invalidArgument(`Invalid data type ID: ${String(t)}`);
      if (!type.webhook) throw invalidArgument(`Data type ${type.id} does not support webhooks.`);
    }
    if (policy !== 'AUTOMATIC' && policy !== 'MANUAL') {
      throw invalidArgument(`subscriberConfigs[${i}].subscriptionCreatePolicy must be AUTOMATIC or MANUAL.`);
    }
    return { dataTypes: types as string[], subscriptionCreatePolicy: policy };
  });
}

/** Two POSTs: with the secret (expect 200/201), then without (expect 401/403). */
async function verifyEndpoint(endpointUri: string, secret: string | undefined): Promise<void> {
  const post = (headers: Record<string, string>) =>
    fetch(endpointUri, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Google-Health-API-Webhooks-Verifier',
        ...headers,
      },
      body: VERIFY_BODY,
      signal: AbortSignal.timeout(10_000),
    });
  try {
    const first = await post(secret ? { authorization: secret } : {});
    await first.arrayBuffer();
    // NOTE: DISC asks for 201; the guide accepts 200 or 201 (§8.2, §14.4).
    if (first.status !== 200 && first.status !== 201) {
      throw failedPrecondition(
        `Endpoint verification failed: expected 201 with the authorization secret, got ${first.status}.`,
      );
    }
    const second = await post({});
    await second.arrayBuffer();
    if (second.status !== 401 && second.status !== 403) {
      throw failedPrecondition(
        `Endpoint verification failed: expected 401 or 403 without authorization, got ${second.status}.`,
      );
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw failedPrecondition(`Endpoint verification failed: ${(error as Error).message}`);
  }
}

export class SubscriberStore {
  readonly #now: () => Date;
  readonly subscribers = new Map<string, Subscriber>();
  readonly subscriptions = new Map<string, Subscription[]>();

  constructor(now: () => Date) {
    this.#now = now;
  }

  async create(projectPath: string, subscriberId: string | undefined, body: Json): Promise<Subscriber> {
    if (!subscriberId || !SUBSCRIBER_ID.test(subscriberId)) {
      throw invalidArgument('subscriberId must be 4-36 characters matching [a-z]([a-z0-9-]{2,34}[a-z0-9]).');
    }
    const name = `${projectPath}/subscribers/${subscriberId}`;
    if (this.subscribers.has(name))
      throw new ApiError(409, 'ALREADY_EXISTS', `Subscriber ${name} already exists.`);
    if (typeof body.endpointUri !== 'string' || !/^https?:\/\//.test(body.endpointUri)) {
      throw invalidArgument('endpointUri must be an absolute URL.');
    }
    const secret = ((body.endpointAuthorization ?? {}) as Json).secret;
    const configs = parseConfigs(body.subscriberConfigs ?? []);
    await verifyEndpoint(body.endpointUri, typeof secret === 'string' ? secret : undefined);
    const now = rfc3339(this.#now().getTime());
    const subscriber: Subscriber = {
      name,
      endpointUri: body.endpointUri,
      subscriberConfigs: configs,
      state: 'ACTIVE',
      createTime: now,
      updateTime: now,
      ...(typeof secret === 'string' ? { secret } : {}),
    };
    this.subscribers.set(name, subscriber);
    return subscriber;
  }

  get(name: string): Subscriber {
    const subscriber = this.subscribers.get(name);
    if (!subscriber) throw notFound(`Subscriber ${name} not found.`);
    return subscriber;
  }

  async patch(name: string, updateMask: string | undefined, body: Json): Promise<Subscriber> {
    const current = this.get(name);
    const fields = (updateMask ?? 'endpointUri,subscriberConfigs,endpointAuthorization')
      .split(',')
      .map((f) => f.trim().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
    const next: Subscriber = { ...current };
    if (fields.includes('endpointUri') && typeof body.endpointUri === 'string')
      next.endpointUri = body.endpointUri;
    if (fields.includes('subscriberConfigs') && body.subscriberConfigs)
      next.subscriberConfigs = parseConfigs(body.subscriberConfigs);
    if (fields.includes('endpointAuthorization')) {
      const secret = ((body.endpointAuthorization ?? {}) as Json).secret;
      if (typeof secret === 'string') next.secret = secret;
    }
    if (next.endpointUri !== current.endpointUri || next.secret !== current.secret) {
      await verifyEndpoint(next.endpointUri, next.secret);
    }
    next.updateTime = rfc3339(this.#now().getTime());
    this.subscribers.set(name, next);
    return next;
  }

  delete(name: string): void {
    this.get(name);
    this.subscribers.delete(name);
    this.subscriptions.delete(name);
  }

  createSubscription(subscriberName: string, subscriptionId: string | undefined, body: Json): Subscription {
    const subscriber = this.get(subscriberName);
    if (typeof body.user !== 'string' || !/^users\/[A-Za-z0-9-]+$/.test(body.user)) {
      throw invalidArgument('user must be users/{healthUserId}.');
    }
    const types = Array.isArray(body.dataTypes) ? (body.dataTypes as string[]) : [];
    const manual = subscriber.subscriberConfigs
      .filter((c) => c.subscriptionCreatePolicy === 'MANUAL')
      .flatMap((c) => c.dataTypes);
    const bad = types.find((t) => !manual.includes(t));
    if (types.length === 0 || bad)
      throw invalidArgument(`Data type ${bad ?? '(none)'} has no MANUAL subscriber config.`);
    const subscription: Subscription = {
      name: `${subscriberName}/subscriptions/${subscriptionId ?? Date.now().toString(36)}`,
      user: body.user,
      dataTypes: types,
    };
    this.subscriptions.set(subscriberName, [...(this.subscriptions.get(subscriberName) ?? []), subscription]);
    return subscription;
  }

  deleteSubscription(name: string): void {
    const subscriberName = name.slice(0, name.indexOf('/subscriptions/'));
    const list = this.subscriptions.get(subscriberName) ?? [];
    if (!list.some((s) => s.name === name)) throw notFound(`Subscription ${name} not found.`);
    this.subscriptions.set(
      subscriberName,
      list.filter((s) => s.name !== name),
    );
  }
}
