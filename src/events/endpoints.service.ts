/**
 * A person's webhook endpoints: register (URL checked: src/events/endpoint-url.ts), list, read,
 * delete, rotate the signing secret. Services take the principal first; every read and write
 * goes through the owner-filtered repository, so another person's endpoint is "not found".
 * The secret is `whsec_` + base64 of 32 random bytes, sealed with the vault, shown once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Principal } from '../auth/auth.service.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { type Vault, webhookSecretContext } from '../vault/vault.ts';
import { checkEndpointUrl, type Resolve, systemResolve } from './endpoint-url.ts';
import * as repo from './endpoints.repository.ts';

export interface EndpointView {
  id: string;
  url: string;
  events: string[] | null;
  description: string | null;
  status: 'enabled' | 'disabled';
  created_at: string;
}

export interface EndpointsServiceDeps {
  db: Db;
  clock: Clock;
  vault: Vault;
  /** WEBHOOKS_ALLOW_PRIVATE_URLS: http and private addresses accepted (development, tests). */
  allowPrivateUrls: boolean;
  resolve?: Resolve;
}

export type EndpointsService = ReturnType<typeof createEndpointsService>;

/** The vault context a secret is sealed under: a copy moved to another endpoint does not open. */
export const secretContext = webhookSecretContext;

/**
 * After a rotation the old secret keeps signing, alongside the new one (two signatures in
 * `webhook-signature`), for this long: a receiver can deploy the new secret without refusing a
 * delivery in between. docs/events.md §3.
 */
export const SECRET_OVERLAP_MS = 24 * 3_600_000;

export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

const notFound = () => new AppError('NOT_FOUND', 'Webhook endpoint not found');

function view(row: repo.EndpointRow): EndpointView {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    description: row.description,
    status: row.status,
    created_at: row.created_at.toISOString(),
  };
}

export function createEndpointsService(deps: EndpointsServiceDeps) {
  const { db, clock, vault } = deps;
  const resolve = deps.resolve ?? systemResolve;

  return {
    async create(
      principal: Principal,
      input: { url: string; events?: string[] | undefined; description?: string | undefined },
    ): Promise<EndpointView & { secret: string }> {
      const checked = await checkEndpointUrl(input.url, { allowPrivate: deps.allowPrivateUrls, resolve });
      if ('error' in checked)
        throw new AppError('VALIDATION_FAILED', `url ${checked.error}`, {
          errors: [{ field: 'url', message: checked.error }],
        });
      const id = randomUUID();
      const secret = newWebhookSecret();
      const now = clock.now();
      const row = await repo.insertEndpoint(db, {
        id,
        user_id: principal.userId,
        url: checked.url.href,
        events: input.events && input.events.length > 0 ? [...input.events] : null,
        description: input.description ?? null,
        secret: vault.seal(secret, secretContext(id)),
        created_at: now,
        updated_at: now,
      });
      return { ...view(row), secret };
    },

    async list(principal: Principal): Promise<{ items: EndpointView[] }> {
      return { items: (await repo.listEndpoints(db, principal.userId)).map(view) };
    },

    async get(principal: Principal, id: string): Promise<EndpointView> {
      const row = await repo.findEndpoint(db, principal.userId, id);
      if (!row) throw notFound();
      return view(row);
    },

    async delete(principal: Principal, id: string): Promise<void> {
      if (!(await repo.deleteEndpoint(db, principal.userId, id))) throw notFound();
    },

    /**
     * A new secret, signing at once; the old one signs too for SECRET_OVERLAP_MS more (a rotation
     * within that time ends the older one's overlap). Shown in this answer only.
     */
    async rotateSecret(principal: Principal, id: string): Promise<EndpointView & { secret: string }> {
      const secret = newWebhookSecret();
      const now = clock.now();
      const row = await repo.replaceSecret(
        db,
        principal.userId,
        id,
        vault.seal(secret, secretContext(id)),
        now,
        new Date(now.getTime() + SECRET_OVERLAP_MS),
      );
      if (!row) throw notFound();
      return { ...view(row), secret };
    },
  };
}
