// The Withings authorization server: authorize2 with comma scopes and a required state, codes valid
// 30 s and single use, /v2/oauth2 requesttoken answering in the envelope, rotating refresh tokens,
// the "same arguments" 601 guard, and signed revoke (docs/withings.md, The sandbox emulator).

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { PeopleStore } from '../people/people.ts';
import { callbackUrlProblem } from './callback-url.ts';
import { invalidParams, WithingsError } from './envelope.ts';
import {
  type AccessCheck,
  type AccessToken,
  type AuthorizationCode,
  type Grant,
  type PendingAuthorization,
  type RefreshToken,
  WITHINGS_SCOPES,
} from './oauth.types.ts';
import { SameArgumentsGuard } from './rate-limit.ts';
import type { NonceStore } from './signature.ts';
import { signaturesEqual, signValues } from './signature.ts';
import type { Params, WithingsClient } from './withings.types.ts';

const CODE_TTL_MS = 30_000;
const REFRESH_TTL_MS = 365 * 86_400_000;
const OLD_REFRESH_GRACE_MS = 8 * 3_600_000;

export interface WithingsOAuthOptions {
  now: () => Date;
  clients: WithingsClient[];
  people: PeopleStore;
  nonces: NonceStore;
  accessTokenTtlSeconds: number;
  strictCallbackUrls: boolean;
}

export type AuthorizeOutcome =
  | { kind: 'error-page'; status: number; title: string; message: string }
  | { kind: 'consent'; pending: PendingAuthorization };

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

export class WithingsOAuth {
  readonly #options: WithingsOAuthOptions;
  readonly clients: Map<string, WithingsClient>;
  readonly #pending = new Map<string, PendingAuthorization>();
  readonly #codes = new Map<string, AuthorizationCode>();
  readonly #grants = new Map<string, Grant>();
  readonly #access = new Map<string, AccessToken>();
  readonly #refresh = new Map<string, RefreshToken>();
  readonly #sameArguments = new SameArgumentsGuard();
  readonly counters = { accessTokensIssued: 0, refreshTokensIssued: 0, grantsRevoked: 0 };

  constructor(options: WithingsOAuthOptions) {
    this.#options = options;
    this.clients = new Map(options.clients.map((c) => [c.clientId, c]));
  }

  #now(): number {
    return this.#options.now().getTime();
  }

  /** GET /oauth2_user/authorize2. Every problem is an error page: Withings does not redirect errors back. */
  authorize(params: Params): AuthorizeOutcome {
    const page = (message: string): AuthorizeOutcome => ({
      kind: 'error-page',
      status: 400,
      title: 'Invalid Params',
      message,
    });
    const client = this.clients.get(params.client_id ?? '');
    if (!client) return page('Invalid Params: invalid client_id');
    const redirectUri = params.redirect_uri ?? '';
    if (!client.redirectUris.includes(redirectUri)) return page('Invalid Params: invalid redirect_uri');
    const problem = callbackUrlProblem(redirectUri, this.#options.strictCallbackUrls);
    if (problem) return page(`Invalid Params: invalid redirect_uri (${problem})`);
    if (params.response_type !== 'code') return page('Invalid Params: invalid response_type');
    if (!params.state) return page('Invalid Params: invalid state');
    // NOTE: scopes are comma-separated; a space-separated list is refused (docs/withings.md, The sandbox emulator).
    const scopes = (params.scope ?? '').split(',').map((s) => s.trim());
    const known = new Set<string>(WITHINGS_SCOPES);
    if (scopes.length === 0 || scopes.some((s) => !known.has(s)))
      return page('Invalid Params: invalid scope');
    if (params.mode !== undefined && params.mode !== 'demo') return page('Invalid Params: invalid mode');
    const pending: PendingAuthorization = {
      id: hex(16),
      clientId: client.clientId,
      redirectUri,
      scopes: [...new Set(scopes)],
      state: params.state,
      demo: params.mode === 'demo',
      expiresAt: this.#now() + 60 * 60_000,
    };
    this.#pending.set(pending.id, pending);
    return { kind: 'consent', pending };
  }

  pending(id: string): PendingAuthorization | undefined {
    const pending = this.#pending.get(id);
    return pending && pending.expiresAt > this.#now() ? pending : undefined;
  }

  /** The person allowed (some of) the scopes: the redirect location with code and state. */
  approve(pendingId: string, personId: string, grantedScopes: string[]): string {
    const pending = this.#pending.get(pendingId);
    if (!pending) throw new Error('unknown authorization request');
    this.#pending.delete(pendingId);
    const scopes = pending.scopes.filter((s) => grantedScopes.includes(s));
    if (scopes.length === 0) return this.deny(pending);
    let grant = this.#liveGrant(pending.clientId, personId);
    if (!grant) {
      grant = {
        id: hex(8),
        clientId: pending.clientId,
        personId,
        createdAt: this.#now(),
        tokenRequests: { authorization_code: 0, refresh_token: 0 },
      };
      this.#grants.set(grant.id, grant);
    }
    const code: AuthorizationCode = {
      code: hex(20),
      clientId: pending.clientId,
      redirectUri: pending.redirectUri,
      grantId: grant.id,
      scopes,
      expiresAt: this.#now() + CODE_TTL_MS,
      used: false,
    };
    this.#codes.set(code.code, code);
    return withQuery(pending.redirectUri, { code: code.code, state: pending.state });
  }

  /** NOTE: the refusal redirect is undocumented; the sandbox sends error=access_denied with the state. */
  deny(pending: PendingAuthorization): string {
    this.#pending.delete(pending.id);
    return withQuery(pending.redirectUri, { error: 'access_denied', state: pending.state });
  }

  /** POST /v2/oauth2 action=requesttoken; `form` is the request body only. */
  requestToken(form: Params): Record<string, unknown> {
    if (form.grant_type !== 'authorization_code' && form.grant_type !== 'refresh_token')
      throw invalidParams('grant_type');
    this.#sameArguments.check(form, this.#now());
    const client = this.authenticate(form, 'requesttoken');
    return form.grant_type === 'authorization_code'
      ? this.#exchangeCode(client, form)
      : this.#refreshTokens(client, form);
  }

  /** client_id with client_secret, or with nonce + signature over `action,client_id,nonce`. */
  authenticate(form: Params, action: string, secretAllowed = true): WithingsClient {
    const client = this.clients.get(form.client_id ?? '');
    if (!client) throw invalidParams('client_id');
    if (secretAllowed && form.client_secret !== undefined) {
      if (!safeEqual(form.client_secret, client.clientSecret)) throw invalidParams('client_secret');
      return client;
    }
    if (form.nonce === undefined || form.signature === undefined) {
      throw invalidParams(secretAllowed ? 'client_secret' : 'signature');
    }
    const expected = signValues(client.clientSecret, [action, client.clientId, form.nonce]);
    // NOTE: 342 for a bad signature is a third party's reading (docs/withings.md, The sandbox emulator).
    if (!signaturesEqual(expected, form.signature)) throw new WithingsError(342, 'Invalid signature');
    if (!this.#options.nonces.consume(form.nonce, client.clientId)) throw invalidParams('nonce');
    return client;
  }

  #exchangeCode(client: WithingsClient, form: Params): Record<string, unknown> {
    const code = this.#codes.get(form.code ?? '');
    const grant = code ? this.#grants.get(code.grantId) : undefined;
    if (grant) grant.tokenRequests.authorization_code++;
    // NOTE: codes live 30 s; single use is the sandbox's reading of third-party reports.
    if (!code || code.clientId !== client.clientId || code.used || code.expiresAt <= this.#now())
      throw invalidParams('code');
    if (!grant || grant.revokedAt !== undefined) throw invalidParams('code');
    if (form.redirect_uri !== code.redirectUri) throw invalidParams('redirect_uri');
    code.used = true;
    return { ...this.#issuePair(grant, code.scopes), csrf_token: randomBytes(24).toString('base64url') };
  }

  #refreshTokens(client: WithingsClient, form: Params): Record<string, unknown> {
    const refresh = this.#refresh.get(form.refresh_token ?? '');
    const grant = refresh ? this.#grants.get(refresh.grantId) : undefined;
    if (grant) grant.tokenRequests.refresh_token++;
    if (!refresh || !grant || grant.clientId !== client.clientId || !this.#refreshAlive(refresh, grant))
      throw invalidParams('refresh_token');
    refresh.successorIssuedAt ??= this.#now();
    return this.#issuePair(grant, refresh.scopes, refresh.token);
  }

  /** NOTE: the old refresh token lives until the new access token is used or 8 h pass (docs/withings.md, The sandbox emulator). */
  #refreshAlive(refresh: RefreshToken, grant: Grant): boolean {
    const now = this.#now();
    if (refresh.retired || grant.revokedAt !== undefined || refresh.expiresAt <= now) return false;
    return refresh.successorIssuedAt === undefined || now < refresh.successorIssuedAt + OLD_REFRESH_GRACE_MS;
  }

  #issuePair(grant: Grant, scopes: string[], fromRefresh?: string): Record<string, unknown> {
    const now = this.#now();
    const ttl = this.#options.accessTokenTtlSeconds;
    const access: AccessToken = {
      token: hex(20),
      grantId: grant.id,
      scopes,
      expiresAt: now + ttl * 1000,
      used: false,
      ...(fromRefresh ? { fromRefresh } : {}),
    };
    const refresh: RefreshToken = {
      token: hex(20),
      grantId: grant.id,
      scopes,
      expiresAt: now + REFRESH_TTL_MS,
      retired: false,
    };
    this.#access.set(access.token, access);
    this.#refresh.set(refresh.token, refresh);
    this.counters.accessTokensIssued++;
    this.counters.refreshTokensIssued++;
    const person = this.#options.people.get(grant.personId);
    return {
      // NOTE: userid is an integer here, as in Withings' spec; some clients see a string (docs/withings.md, The sandbox emulator).
      userid: person?.withings.userid ?? 0,
      access_token: access.token,
      refresh_token: refresh.token,
      expires_in: ttl,
      scope: scopes.join(','),
      token_type: 'Bearer',
    };
  }

  /** Demo access (getdemoaccess): a pair for the demo person, no consent. */
  issueDemoPair(clientId: string, personId: string, scopes: string[]): Record<string, unknown> {
    const grant = this.#liveGrant(clientId, personId) ?? {
      id: hex(8),
      clientId,
      personId,
      createdAt: this.#now(),
      tokenRequests: { authorization_code: 0, refresh_token: 0 },
    };
    this.#grants.set(grant.id, grant);
    return this.#issuePair(grant, scopes);
  }

  /** Who a token belongs to, without counting as a use (for the request log, faults and rate limit). */
  peekAccess(token: string | undefined): AccessCheck {
    const access = token ? this.#access.get(token) : undefined;
    const grant = access ? this.#grants.get(access.grantId) : undefined;
    if (!access || !grant) return { ok: false };
    if (grant.revokedAt !== undefined || access.expiresAt <= this.#now())
      return { ok: false, clientId: grant.clientId };
    return {
      ok: true,
      personId: grant.personId,
      clientId: grant.clientId,
      scopes: access.scopes,
      grantId: grant.id,
    };
  }

  /** A data call's token: the first use of a refreshed access token retires the refresh token spent for it. */
  checkAccess(token: string | undefined): AccessCheck {
    const check = this.peekAccess(token);
    const access = token ? this.#access.get(token) : undefined;
    if (!check.ok || !access) return check;
    if (!access.used) {
      access.used = true;
      const spent = access.fromRefresh ? this.#refresh.get(access.fromRefresh) : undefined;
      if (spent) spent.retired = true;
    }
    return check;
  }

  /** The app (signed revoke) or the person (unlink) ends the link: every token of the grant dies. */
  revoke(clientId: string, personId: string): boolean {
    const grant = this.#liveGrant(clientId, personId);
    if (!grant) return false;
    grant.revokedAt = this.#now();
    this.counters.grantsRevoked++;
    return true;
  }

  /** Clients with a live grant for the person. */
  clientsOf(personId: string): string[] {
    return this.grants()
      .filter((g) => g.personId === personId && g.revokedAt === undefined)
      .map((g) => g.clientId);
  }

  grants(): Grant[] {
    return [...this.#grants.values()];
  }

  #liveGrant(clientId: string, personId: string): Grant | undefined {
    return this.grants().find(
      (g) => g.clientId === clientId && g.personId === personId && g.revokedAt === undefined,
    );
  }
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function withQuery(base: string, params: Record<string, string>): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}
