import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { withingsSignature } from '../../../src/vendors/withings/signature.ts';

// A tiny stand-in for the Withings token, signature and notify services on loopback, answering
// like the recorded samples in ./fixtures: envelopes on HTTP 200, codes good once, refresh tokens
// that rotate (the old one dies once the new access token is used), 601 for the same token
// request twice within 10 s, nonces good once, revoke signed. Tests can queue raw answers.

export const FIXTURES = join(import.meta.dirname, 'fixtures');
export const fixture = <T = Record<string, unknown>>(name: string): T =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;

export const STUB_CLIENT = { clientId: 'stub-client-id', clientSecret: 'stub-client-secret' };

export interface StubRequest {
  path: string;
  contentType: string | undefined;
  authorization: string | undefined;
  form: Record<string, string>;
}

interface Grant {
  userid: number | string;
  scope: string;
  accessToken: string;
  refreshToken: string;
  /** Set once a refresh replaced this grant: the access token that ends the old refresh token. */
  successor?: Grant;
  accessUsed: boolean;
  dead: boolean;
}

interface QueuedAnswer {
  http?: number;
  json?: unknown;
  text?: string;
}

export interface WithingsStub {
  url: string;
  requests: StubRequest[];
  /** User ids whose grants were revoked through the signed revoke. */
  revokedUsers: string[];
  subscriptions: { userid: string; appli: number; callbackurl: string; comment: string | undefined }[];
  /** The consent step: an authorization code for this user and scope. */
  issueCode(options?: { userid?: number | string; scope?: string }): string;
  /** The next call to `path` answers this (before any other logic). */
  queue(path: string, answer: QueuedAnswer): void;
  /** The refresh token the stub holds as current for a user. */
  currentRefreshToken(userid: number | string): string | undefined;
  close(): Promise<void>;
}

export async function startWithingsStub(
  options: { now?: () => number; redirectUri?: string } = {},
): Promise<WithingsStub> {
  const now = options.now ?? Date.now;
  const requests: StubRequest[] = [];
  const revokedUsers: string[] = [];
  const subscriptions: WithingsStub['subscriptions'] = [];
  const codes = new Map<string, { userid: number | string; scope: string; used: boolean }>();
  const grants: Grant[] = [];
  const nonces = new Map<string, boolean>();
  const recentTokenRequests = new Map<string, number>();
  const queued = new Map<string, QueuedAnswer[]>();
  const random = () => randomBytes(20).toString('hex');
  const ok = (body: unknown = {}) => ({ status: 0, body });
  const invalidToken = () => fixture('error-401-invalid-token.3p-live.json');

  function issue(userid: number | string, scope: string): Grant {
    const grant: Grant = {
      userid,
      scope,
      accessToken: random(),
      refreshToken: random(),
      accessUsed: false,
      dead: false,
    };
    grants.push(grant);
    return grant;
  }

  const tokenBody = (g: Grant) => ({
    userid: g.userid,
    access_token: g.accessToken,
    refresh_token: g.refreshToken,
    expires_in: 10800,
    scope: g.scope,
    csrf_token: 'PACnnxwHTaBQOzF7bQqwFUUotIuvtzSM',
    token_type: 'Bearer',
  });

  /** The grant a bearer token belongs to; using it ends the refresh token it replaced. */
  function bearer(authorization: string | undefined): Grant | undefined {
    const token = authorization?.replace(/^Bearer /, '');
    const grant = grants.find((g) => g.accessToken === token && !g.dead);
    if (!grant) return undefined;
    grant.accessUsed = true;
    for (const old of grants) if (old.successor === grant) old.dead = true;
    return grant;
  }

  function requestToken(form: Record<string, string>) {
    const key = JSON.stringify(Object.entries(form).sort());
    const last = recentTokenRequests.get(key);
    recentTokenRequests.set(key, now());
    if (last !== undefined && now() - last < 10_000) return fixture('error-601-same-arguments.3p-live.json');
    if (form.client_id !== STUB_CLIENT.clientId || form.client_secret !== STUB_CLIENT.clientSecret)
      return { status: 503, body: {}, error: 'Invalid Params: invalid client_id' };
    if (form.grant_type === 'authorization_code') {
      const code = codes.get(form.code ?? '');
      if (!code || code.used || (options.redirectUri && form.redirect_uri !== options.redirectUri))
        return fixture('error-503-invalid-code.3p-live.json');
      code.used = true;
      return ok(tokenBody(issue(code.userid, code.scope)));
    }
    if (form.grant_type === 'refresh_token') {
      const old = grants.find((g) => g.refreshToken === form.refresh_token && !g.dead);
      if (!old || (old.successor?.accessUsed ?? false))
        return fixture('error-503-invalid-refresh-token.3p-live.json');
      const fresh = issue(old.userid, old.scope);
      old.successor = fresh;
      return ok(tokenBody(fresh));
    }
    return { status: 503, body: {}, error: 'Invalid Params: invalid grant_type' };
  }

  function signed(form: Record<string, string>, action: string): boolean {
    const nonce = form.nonce ?? '';
    if (nonces.get(nonce) !== false) return false;
    nonces.set(nonce, true);
    const expected = withingsSignature(STUB_CLIENT.clientSecret, {
      action,
      client_id: form.client_id ?? '',
      nonce,
    });
    return form.signature === expected && form.client_id === STUB_CLIENT.clientId;
  }

  function answer(req: StubRequest): unknown {
    const { path, form } = req;
    if (path === '/v2/oauth2' && form.action === 'requesttoken') return requestToken(form);
    if (path === '/v2/oauth2' && form.action === 'revoke') {
      if (!signed(form, 'revoke'))
        return { status: 342, body: {}, error: 'Invalid Params: invalid signature' };
      for (const g of grants) if (String(g.userid) === form.userid) g.dead = true;
      revokedUsers.push(form.userid ?? '');
      return fixture('oauth-revoke-response.schema.json');
    }
    if (path === '/v2/signature' && form.action === 'getnonce') {
      const timestamp = Number(form.timestamp);
      const expected = withingsSignature(STUB_CLIENT.clientSecret, {
        action: 'getnonce',
        client_id: form.client_id ?? '',
        timestamp,
      });
      if (form.signature !== expected)
        return { status: 342, body: {}, error: 'Invalid Params: invalid signature' };
      const nonce = random();
      nonces.set(nonce, false);
      return ok({ nonce });
    }
    const grant = bearer(req.authorization);
    if (!grant) return invalidToken();
    if (path === '/notify') return notify(String(grant.userid), form);
    return ok({});
  }

  function notify(userid: string, form: Record<string, string>): unknown {
    const appli = Number(form.appli);
    if (form.action === 'subscribe') {
      if (!form.callbackurl?.startsWith('https://'))
        return { status: 293, body: {}, error: 'The callback URL is either unknown or invalid' };
      subscriptions.push({ userid, appli, callbackurl: form.callbackurl, comment: form.comment });
      return fixture('notify-subscribe.aiowithings.json');
    }
    if (form.action === 'list') {
      const mine = subscriptions.filter((s) => s.userid === userid && (!form.appli || s.appli === appli));
      return ok({
        profiles: mine.map((s) => ({
          appli: s.appli,
          callbackurl: s.callbackurl,
          expires: 2147483647,
          comment: s.comment ?? '',
        })),
      });
    }
    if (form.action === 'revoke') {
      const at = subscriptions.findIndex(
        (s) => s.userid === userid && s.appli === appli && s.callbackurl === form.callbackurl,
      );
      if (at === -1) return { status: 286, body: {}, error: 'No such subscription' };
      subscriptions.splice(at, 1);
      return ok({});
    }
    return { status: 2554, body: {}, error: `Unknown action '${form.action}' for 'notify'` };
  }

  const app = Fastify();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  app.post('/*', async (request, reply) => {
    const req: StubRequest = {
      path: request.url.split('?')[0] ?? '',
      contentType: request.headers['content-type'],
      authorization: request.headers.authorization,
      form: (request.body ?? {}) as Record<string, string>,
    };
    requests.push(req);
    const next = queued.get(req.path)?.shift();
    if (next) {
      reply.code(next.http ?? 200);
      if (next.text !== undefined) return reply.type('text/html').send(next.text);
      return reply.send(next.json);
    }
    return reply.send(answer(req));
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });

  return {
    url,
    requests,
    revokedUsers,
    subscriptions,
    issueCode({ userid = 363, scope = 'user.info,user.metrics,user.activity' } = {}) {
      const code = random();
      codes.set(code, { userid, scope, used: false });
      return code;
    },
    queue(path, queuedAnswer) {
      const list = queued.get(path) ?? [];
      list.push(queuedAnswer);
      queued.set(path, list);
    },
    currentRefreshToken(userid) {
      return grants.find((g) => String(g.userid) === String(userid) && !g.dead && !g.successor)?.refreshToken;
    },
    close: () => app.close(),
  };
}
