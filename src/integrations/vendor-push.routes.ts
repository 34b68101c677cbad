/**
 * Public routes the vendors call (never clients): their push notifications, each verified by its
 * vendor's receiver in src/vendors/<id>/, which queues the targeted syncs.
 */
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import Type from 'typebox';
import { jsonBodyParser } from '../http/request-limits.ts';
import { isVerification, type WebhookService } from '../vendors/fitbit/webhook.service.ts';
import type { WithingsNotifications } from '../vendors/withings/notifications.ts';

const SIGNATURE_HEADERS = ['google-health-api-signature', 'x-healthapi-signature'];

/**
 * Public: the Google Health API's push endpoint (handshake and notifications). In a scope of its
 * own, whose JSON parser keeps the raw body: the signature is over the bytes as sent.
 */
export function googleWebhookRoutes(app: FastifyInstance, webhooks: WebhookService): void {
  app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'string' },
      jsonBodyParser(scope, { acceptEmpty: true, onRaw: (req, text) => rawBodies.set(req, text) }),
    );
    // Any text is taken (and refused unsigned by the service), as it always was.
    scope.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.post(
      '/integrations/fitbit/webhook',
      {
        schema: {
          tags: ['Vendor integrations'],
          summary: 'Google Health API webhook',
          description:
            'Called by Google, not by clients: the verification handshake (201, 401 or 403) and signed notifications (204; 401, or 503 while the signing keys cannot be fetched or the job queue is down). Answers have no body.',
          body: Type.Unknown({
            examples: [{ type: 'verification', verificationCode: 'f1e2d3c4' }],
          }),
          response: {
            201: Type.Null({ description: 'Verification accepted' }),
            204: Type.Null({ description: 'Notification taken' }),
            401: Type.Null({ description: 'Missing or wrong secret or signature' }),
            403: Type.Null({ description: 'Refused' }),
            503: Type.Null({ description: 'Signing keys or job queue unavailable' }),
          },
        },
      },
      async (req, reply) => {
        const header = req.headers.authorization;
        const signature = SIGNATURE_HEADERS.map((h) => req.headers[h]).find((v) => typeof v === 'string');
        const status = await webhooks.receive(typeof header === 'string' ? header : undefined, req.body, {
          rawBody: rawBodies.get(req) ?? '',
          signature: signature as string | undefined,
        });
        // Google's second verification probe omits the secret on purpose and must get this 401:
        // an expected answer, so its access-log line is debug, not an alarming info 401.
        if (status === 401 && header === undefined && isVerification(req.body)) req.accessLogLevel = 'debug';
        return reply.code(status).send();
      },
    );
  });
}

const rawBodies = new WeakMap<object, string>();

const MAX_NOTIFICATION_BYTES = 4_096;

/**
 * Public: Withings' notification URL, `/webhooks/withings/<secret>`. HEAD is its check before a
 * subscription is accepted; POST a form-encoded notification. A wrong secret is a 404 (nothing
 * is there); a right one is answered 200 at once, queued work or not, except 503 while the job
 * queue is down (Withings delivers again).
 */
export function withingsNotifyRoutes(app: FastifyInstance, receiver: WithingsNotifications): void {
  app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: MAX_NOTIFICATION_BYTES },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    const Params = Type.Object({ secret: Type.String({ maxLength: 256 }) });
    const doc = {
      tags: ['Vendor integrations'],
      params: Params,
      response: {
        200: Type.Null({ description: 'Taken (or ignored: unknown user, malformed body)' }),
        404: Type.Null({ description: 'Wrong secret' }),
        503: Type.Null({ description: 'Job queue unavailable; Withings delivers again' }),
      },
    };
    scope.head(
      '/webhooks/withings/:secret',
      {
        schema: {
          ...doc,
          summary: 'Withings notification URL check',
          description: 'Called by Withings before it accepts a subscription: 200 when the URL is ours.',
        },
      },
      async (req, reply) => {
        const { secret } = req.params as Static<typeof Params>;
        return reply.code(receiver.check(secret) ? 200 : 404).send();
      },
    );
    scope.post(
      '/webhooks/withings/:secret',
      {
        schema: {
          ...doc,
          summary: 'Withings notification',
          description:
            'Called by Withings, not by clients: a form-encoded `userid`, `appli` and date range (or `date`, or `action`). Answered within milliseconds; the sync of that user, category and dates is queued.',
          body: Type.Unknown({
            examples: [{ userid: '363', appli: '1', startdate: '1530576000', enddate: '1530698753' }],
          }),
        },
      },
      async (req, reply) => {
        const { secret } = req.params as Static<typeof Params>;
        if (!receiver.check(secret)) return reply.code(404).send();
        const outcome = await receiver.receive(req.body);
        return reply.code(outcome === 'unavailable' ? 503 : 200).send();
      },
    );
  });
}
