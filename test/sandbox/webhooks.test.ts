// Webhooks: subscriber creation with the two-request handshake, notifications carrying the
// Authorization secret and a verifiable signature, retries on non-2xx (docs/google-health.md §8).

import { createPublicKey, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.ts';
import { api, connect, startTestSandbox } from './helpers.ts';

const SECRET = 'Bearer test-webhook-secret';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

let sandbox: Sandbox;
let receiver: Server;
let receiverUrl: string;
let received: Received[];
/** Statuses the receiver answers notifications with, in order; then 204. */
let failures: number[];

beforeEach(async () => {
  ({ sandbox } = await startTestSandbox());
  received = [];
  failures = [];
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const authorized = request.headers.authorization === SECRET;
      if (body.includes('"verification"')) {
        response.statusCode = authorized ? 201 : 401;
      } else {
        received.push({ headers: request.headers, body });
        response.statusCode = authorized ? (failures.shift() ?? 204) : 401;
      }
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/health`;
});
afterEach(async () => {
  await sandbox.close();
  await new Promise((resolve) => receiver.close(resolve));
});

function createSubscriber(endpointUri: string, secret = SECRET) {
  return api(
    sandbox,
    'service-account-token',
    '/v4/projects/123456789012/subscribers?subscriberId=phr-backend',
    {
      body: {
        endpointUri,
        subscriberConfigs: [{ dataTypes: ['steps', 'sleep'], subscriptionCreatePolicy: 'AUTOMATIC' }],
        endpointAuthorization: { secret },
      },
    },
  );
}

describe('webhooks', () => {
  it('creates an ACTIVE subscriber after the handshake, and fails when the endpoint does not check the secret', async () => {
    const created = await createSubscriber(receiverUrl);
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      done: true,
      response: {
        name: 'projects/123456789012/subscribers/phr-backend',
        state: 'ACTIVE',
        endpointAuthorization: { secretSet: true },
      },
    });
    await api(sandbox, 'x', '/v4/projects/123456789012/subscribers/phr-backend', { method: 'DELETE' });
    const wrongSecret = await createSubscriber(receiverUrl, 'Bearer something-else');
    expect(wrongSecret.status).toBe(400);
    expect(wrongSecret.body).toMatchObject({ error: { status: 'FAILED_PRECONDITION' } });
  });

  it('notifies consenting people with the secret and a signature, retrying after failures', async () => {
    await createSubscriber(receiverUrl);
    const person = sandbox.people.createPerson({ timeZone: 'Europe/Berlin', seed: 5 });
    const stranger = sandbox.people.createPerson({ seed: 6 });
    await connect(sandbox, person.id);
    expect(await sandbox.admin.notify({ personId: stranger.id, dataType: 'steps' })).toEqual([]);

    failures = [500, 503];
    const [delivery] = await sandbox.admin.notify({
      personId: person.id,
      dataType: 'steps',
      date: '2026-11-19',
    });
    expect(delivery?.state).toBe('pending');
    await sandbox.admin.deliverPendingWebhooks();
    await sandbox.admin.deliverPendingWebhooks();
    const final = sandbox.admin.webhookDeliveries().find((d) => d.id === delivery?.id);
    expect(final?.state).toBe('delivered');
    expect(final?.attempts.map((a) => a.status)).toEqual([500, 503, 204]);

    expect(received).toHaveLength(3);
    const last = received[2] as Received;
    expect(last.headers.authorization).toBe(SECRET);
    const [notification] = JSON.parse(last.body) as { data: Record<string, unknown> }[];
    expect(notification?.data).toMatchObject({
      version: '1',
      healthUserId: person.id,
      operation: 'UPSERT',
      dataType: 'steps',
      intervals: [
        {
          physicalTimeInterval: { startTime: '2026-11-18T23:00:00Z', endTime: '2026-11-19T23:00:00Z' },
          civilIso8601TimeInterval: { startTime: '2026-11-19T00:00:00', endTime: '2026-11-20T00:00:00' },
        },
      ],
    });
    const signature = Buffer.from(String(last.headers['google-health-api-signature']), 'base64');
    const keys = await (await fetch(`${sandbox.url}/_admin/webhooks/keys`)).json();
    expect(signature[0]).toBe(1);
    expect(signature.readUInt32BE(1)).toBe(keys.keyId);
    const key = createPublicKey(keys.pem);
    expect(verify('sha256', Buffer.from(last.body), { key, dsaEncoding: 'der' }, signature.subarray(5))).toBe(
      true,
    );
  });

  it('a rewritten day sends UPSERTs and changes the truth; revoking sends DELETE', async () => {
    await createSubscriber(receiverUrl);
    const person = sandbox.people.createPerson({ seed: 8 });
    await connect(sandbox, person.id);
    const date = sandbox.groundTruth(person.id).dates[20] ?? '';
    const before = sandbox.groundTruth(person.id).days[date];
    const after = await sandbox.admin.rewriteDay(person.id, date);
    expect(after).not.toEqual(before);
    expect(sandbox.groundTruth(person.id).days[date]).toEqual(after);
    const types = received.map(
      (r) => (JSON.parse(r.body) as { data: { dataType: string } }[])[0]?.data.dataType,
    );
    expect(types.sort()).toEqual(['sleep', 'steps']);
    await sandbox.admin.revokeGrant(person.id);
    const operations = received
      .slice(2)
      .map((r) => (JSON.parse(r.body) as { data: { operation: string } }[])[0]?.data.operation);
    expect(operations).toEqual(['DELETE', 'DELETE']);
  });
});
