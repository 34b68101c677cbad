// /v4/projects/{number}/subscribers[...]: webhook subscriber management (docs/google-health.md §3.3).
// NOTE: Google wants a service-account token (cloud-platform scope) here; the sandbox takes any caller.

import type { SandboxContext } from '../context.ts';
import { invalidArgument } from '../lib/errors.ts';
import { operation, subscriberJson } from '../webhooks/subscribers.ts';

type Json = Record<string, unknown>;

export async function handleProjects(
  ctx: SandboxContext,
  method: string,
  segments: string[],
  query: URLSearchParams,
  body: Json,
): Promise<Json | undefined> {
  const [, project, collection, subscriberId, child, subscriptionId, extra] = segments;
  if (collection !== 'subscribers' || extra !== undefined) return undefined;
  // NOTE: the project segment must be the project number, not the project id (troubleshooting, §3.3).
  if (!project || !/^\d+$/.test(project)) throw invalidArgument('Invalid project number in resource name');
  const projectPath = `projects/${project}`;
  const store = ctx.webhooks.store;
  if (subscriberId === undefined) {
    if (method === 'POST') {
      const subscriber = await store.create(projectPath, query.get('subscriberId') ?? undefined, body);
      return operation(projectPath, subscriberJson(subscriber), 'Subscriber');
    }
    if (method === 'GET') {
      const subscribers = [...store.subscribers.values()].filter((s) => s.name.startsWith(`${projectPath}/`));
      return { subscribers: subscribers.map(subscriberJson), totalSize: subscribers.length };
    }
    return undefined;
  }
  const name = `${projectPath}/subscribers/${subscriberId}`;
  if (child === undefined) {
    if (method === 'PATCH') {
      const subscriber = await store.patch(name, query.get('updateMask') ?? undefined, body);
      return operation(projectPath, subscriberJson(subscriber), 'Subscriber');
    }
    if (method === 'DELETE') {
      store.delete(name);
      return {
        name: `${projectPath}/operations/delete-${subscriberId}`,
        done: true,
        response: { '@type': 'type.googleapis.com/google.protobuf.Empty' },
      };
    }
    return undefined;
  }
  if (child !== 'subscriptions') return undefined;
  if (subscriptionId === undefined) {
    if (method === 'POST')
      return { ...store.createSubscription(name, query.get('subscriptionId') ?? undefined, body) };
    if (method === 'GET') return { subscriptions: store.subscriptions.get(name) ?? [] };
    return undefined;
  }
  if (method === 'DELETE') {
    store.deleteSubscription(`${name}/subscriptions/${subscriptionId}`);
    return {};
  }
  return undefined;
}
