// The Google OAuth 2.0 authorization server, as docs/google-health.md §2 describes it: single-use
// codes (10 min), exact redirect_uri match, PKCE, client_secret_post or Basic, reusable
// refresh tokens, 3599 s access tokens, optional 7-day testing-mode refresh expiry.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { knownScopes } from '../catalog.ts';
import type {
  AuthorizationCode,
  Grant,
  IssuedToken,
  OAuthClient,
  OAuthResult,
  PendingAuthorization,
  TokenCheck,
} from './oauth.types.ts';

const ACCESS_TOKEN_SECONDS = 3599;
const CODE_TTL_MS = 10 * 60_000;
const INVALID_GRANT = { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' };

export interface OAuthOptions {
  now: () => Date;
  clients: OAuthClient[];
  refreshTokenTtlDays?: number;
}

export type AuthorizeOutcome =
  | { kind: 'error-page'; status: number; title: string; message: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'consent'; pending: PendingAuthorization };

function randomToken(prefix: string, bytes: number): string {
  return prefix + randomBytes(bytes).toString('base64url');
}

export class OAuthService {
  readonly #options: OAuthOptions;
  readonly #clients: Map<string, OAuthClient>;
  readonly #pending = new Map<string, PendingAuthorization>();
  readonly #codes = new Map<string, AuthorizationCode>();
  readonly #grants = new Map<string, Grant>();
  readonly #access = new Map<string, IssuedToken>();
  readonly #refreshTokens = new Map<string, IssuedToken & { expiresAt: number }>();
  readonly counters = { accessTokensIssued: 0, refreshTokensIssued: 0, tokensRevoked: 0 };

  constructor(options: OAuthOptions) {
    this.#options = options;
    this.#clients = new Map(options.clients.map((c) => [c.clientId, c]));
  }

  #now(): number {
    return this.#options.now().getTime();
  }

  /** Validates an authorize request; Google shows its own error page for client and redirect errors. */
  authorize(params: Record<string, string | undefined>): AuthorizeOutcome {
    const client = this.#clients.get(params.client_id ?? '');
    if (!client) {
      return {
        kind: 'error-page',
        status: 401,
        title: 'Error 401: invalid_client',
        message: 'The OAuth client was not found.',
      };
    }
    const redirectUri = params.redirect_uri ?? '';
    if (!client.redirectUris.includes(redirectUri)) {
      return {
        kind: 'error-page',
        status: 400,
        title: 'Error 400: redirect_uri_mismatch',
        message: `You can't sign in because this app sent an invalid request. redirect_uri=${redirectUri}`,
      };
    }
    const fail = (error: string, description: string): AuthorizeOutcome => ({
      kind: 'redirect',
      location: withQuery(redirectUri, { error, error_description: description, state: params.state }),
    });
    if (params.response_type !== 'code')
      return fail('unsupported_response_type', 'Only response_type=code is supported.');
    const scopes = (params.scope ?? '').split(/[\s+]+/).filter(Boolean);
    if (scopes.length === 0) return fail('invalid_request', 'Missing required parameter: scope');
    const known = knownScopes();
    const unknown = scopes.find((s) => !known.has(s));
    if (unknown) return fail('invalid_scope', `Some requested scopes were invalid. {invalid=[${unknown}]}`);
    const method = params.code_challenge_method ?? (params.code_challenge ? 'plain' : undefined);
    if (method !== undefined && method !== 'S256' && method !== 'plain') {
      return fail('invalid_request', 'Invalid code_challenge_method.');
    }
    const pending: PendingAuthorization = {
      id: randomToken('', 18),
      clientId: client.clientId,
      redirectUri,
      scopes: [...new Set(scopes)],
      offline: params.access_type === 'offline',
      forceConsent: (params.prompt ?? '').split(' ').includes('consent'),
      includeGrantedScopes: params.include_granted_scopes === 'true',
      expiresAt: this.#now() + 60 * 60_000,
      ...(params.state !== undefined ? { state: params.state } : {}),
      ...(params.login_hint ? { loginHint: params.login_hint } : {}),
      ...(params.code_challenge && method
        ? { codeChallenge: params.code_challenge, codeChallengeMethod: method }
        : {}),
    };
    this.#pending.set(pending.id, pending);
    return { kind: 'consent', pending };
  }

  pending(id: string): PendingAuthorization | undefined {
    const pending = this.#pending.get(id);
    return pending && pending.expiresAt > this.#now() ? pending : undefined;
  }

  /** The person allowed some (maybe not all) of the requested scopes: redirect with a code. */
  approve(pendingId: string, personId: string, grantedScopes: string[]): string {
    const pending = this.#pending.get(pendingId);
    if (!pending) throw new Error('unknown authorization request');
    this.#pending.delete(pendingId);
    const granted = grantedScopes.filter((s) => pending.scopes.includes(s));
    if (granted.length === 0) return this.deny(pending);
    let grant = this.#activeGrant(pending.clientId, personId);
    const hadRefreshToken = grant ? this.#grantHasLiveRefreshToken(grant.id) : false;
    if (!grant) {
      grant = {
        id: randomToken('g-', 9),
        clientId: pending.clientId,
        personId,
        scopes: new Set(),
        createdAt: this.#now(),
        tokenRequests: { authorization_code: 0, refresh_token: 0 },
      };
      this.#grants.set(grant.id, grant);
    }
    // NOTE: with include_granted_scopes=true the token carries every scope granted so far (§2 incremental authorization).
    const tokenScopes = pending.includeGrantedScopes ? [...new Set([...grant.scopes, ...granted])] : granted;
    for (const scope of granted) grant.scopes.add(scope);
    const code: AuthorizationCode = {
      code: randomToken('4/0A', 30),
      clientId: pending.clientId,
      redirectUri: pending.redirectUri,
      grantId: grant.id,
      scopes: tokenScopes,
      // NOTE: a refresh token only with access_type=offline, and only on first consent unless prompt=consent (§2).
      issueRefreshToken: pending.offline && (!hadRefreshToken || pending.forceConsent),
      expiresAt: this.#now() + CODE_TTL_MS,
      used: false,
      ...(pending.codeChallenge
        ? {
            codeChallenge: pending.codeChallenge,
            codeChallengeMethod: pending.codeChallengeMethod ?? 'plain',
          }
        : {}),
    };
    this.#codes.set(code.code, code);
    return withQuery(pending.redirectUri, {
      code: code.code,
      scope: tokenScopes.join(' '),
      state: pending.state,
    });
  }

  deny(pendingOrId: PendingAuthorization | string): string {
    const pending = typeof pendingOrId === 'string' ? this.#pending.get(pendingOrId) : pendingOrId;
    if (!pending) throw new Error('unknown authorization request');
    this.#pending.delete(pending.id);
    return withQuery(pending.redirectUri, { error: 'access_denied', state: pending.state });
  }

  token(form: Record<string, string | undefined>, authorization: string | undefined): OAuthResult {
    const auth = this.#authenticateClient(form, authorization);
    if ('status' in auth) return auth;
    if (form.grant_type === 'authorization_code') return this.#exchangeCode(auth, form);
    if (form.grant_type === 'refresh_token') return this.#refresh(auth, form);
    if (!form.grant_type)
      return {
        status: 400,
        body: { error: 'invalid_request', error_description: 'Missing required parameter: grant_type' },
      };
    return {
      status: 400,
      body: { error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${form.grant_type}` },
    };
  }

  #authenticateClient(
    form: Record<string, string | undefined>,
    authorization: string | undefined,
  ): OAuthClient | OAuthResult {
    let clientId = form.client_id;
    let secret = form.client_secret;
    if (authorization?.toLowerCase().startsWith('basic ')) {
      const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      clientId = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    }
    if (!clientId)
      return {
        status: 400,
        body: { error: 'invalid_request', error_description: 'Could not determine client ID from request.' },
      };
    const client = this.#clients.get(clientId);
    if (!client)
      return {
        status: 401,
        body: { error: 'invalid_client', error_description: 'The OAuth client was not found.' },
      };
    if (!secret || !safeEqual(secret, client.clientSecret)) {
      return { status: 401, body: { error: 'invalid_client', error_description: 'Unauthorized' } };
    }
    return client;
  }

  #exchangeCode(client: OAuthClient, form: Record<string, string | undefined>): OAuthResult {
    const code = this.#codes.get(form.code ?? '');
    if (!form.code)
      return {
        status: 400,
        body: { error: 'invalid_request', error_description: 'Missing required parameter: code' },
      };
    if (!code || code.clientId !== client.clientId)
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Malformed auth code.' } };
    const grant = this.#grants.get(code.grantId);
    if (grant) grant.tokenRequests.authorization_code++;
    if (code.used || code.expiresAt <= this.#now() || !grant || grant.revokedAt !== undefined) {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Bad Request' } };
    }
    if (form.redirect_uri !== code.redirectUri) {
      return { status: 400, body: { error: 'redirect_uri_mismatch', error_description: 'Bad Request' } };
    }
    if (code.codeChallenge) {
      const verifier = form.code_verifier;
      if (!verifier)
        return { status: 400, body: { error: 'invalid_grant', error_description: 'Missing code verifier.' } };
      const expected =
        code.codeChallengeMethod === 'S256'
          ? createHash('sha256').update(verifier).digest('base64url')
          : verifier;
      if (!safeEqual(expected, code.codeChallenge)) {
        return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid code verifier.' } };
      }
    }
    code.used = true;
    const body: Record<string, unknown> = this.#issueAccess(grant, code.scopes);
    if (code.issueRefreshToken) {
      const ttlDays = this.#options.refreshTokenTtlDays;
      const refresh = {
        token: randomToken('1//0', 60),
        grantId: grant.id,
        scopes: code.scopes,
        expiresAt: ttlDays ? this.#now() + ttlDays * 86_400_000 : Number.POSITIVE_INFINITY,
      };
      this.#refreshTokens.set(refresh.token, refresh);
      this.counters.refreshTokensIssued++;
      body.refresh_token = refresh.token;
      if (ttlDays) body.refresh_token_expires_in = ttlDays * 86_400 - 1;
    }
    return { status: 200, body };
  }

  #refresh(client: OAuthClient, form: Record<string, string | undefined>): OAuthResult {
    if (!form.refresh_token)
      return {
        status: 400,
        body: { error: 'invalid_request', error_description: 'Missing required parameter: refresh_token' },
      };
    const refresh = this.#refreshTokens.get(form.refresh_token);
    const grant = refresh ? this.#grants.get(refresh.grantId) : undefined;
    if (grant) grant.tokenRequests.refresh_token++;
    if (!refresh || !grant || grant.clientId !== client.clientId) {
      return { status: 400, body: INVALID_GRANT };
    }
    // NOTE: testing-mode refresh tokens die after 7 days; revoked grants too; both say invalid_grant (§2).
    if (grant.revokedAt !== undefined || refresh.expiresAt <= this.#now())
      return { status: 400, body: INVALID_GRANT };
    // NOTE: Google refresh tokens are reusable and the response carries no new refresh_token (§2).
    const body: Record<string, unknown> = this.#issueAccess(grant, refresh.scopes);
    if (Number.isFinite(refresh.expiresAt)) {
      body.refresh_token_expires_in = Math.floor((refresh.expiresAt - this.#now()) / 1000);
    }
    return { status: 200, body };
  }

  #issueAccess(grant: Grant, scopes: string[]): Record<string, unknown> {
    const access: IssuedToken = {
      token: randomToken('ya29.a0', 120),
      grantId: grant.id,
      scopes,
      expiresAt: this.#now() + ACCESS_TOKEN_SECONDS * 1000,
    };
    this.#access.set(access.token, access);
    this.counters.accessTokensIssued++;
    return {
      access_token: access.token,
      expires_in: ACCESS_TOKEN_SECONDS,
      scope: scopes.join(' '),
      token_type: 'Bearer',
    };
  }

  /** POST /revoke: an access or refresh token revokes its whole grant, as Google does. */
  revoke(token: string | undefined): OAuthResult {
    const issued = this.#access.get(token ?? '') ?? this.#refreshTokens.get(token ?? '');
    const grant = issued ? this.#grants.get(issued.grantId) : undefined;
    if (!issued || !grant || grant.revokedAt !== undefined || issued.expiresAt <= this.#now()) {
      return { status: 400, body: { error: 'invalid_token', error_description: 'Token expired or revoked' } };
    }
    this.#revokeGrant(grant);
    return { status: 200, body: {} };
  }

  checkAccessToken(token: string): TokenCheck {
    const access = this.#access.get(token);
    if (!access) return { ok: false, reason: 'unknown' };
    const grant = this.#grants.get(access.grantId);
    if (!grant || grant.revokedAt !== undefined) return { ok: false, reason: 'revoked' };
    if (access.expiresAt <= this.#now()) return { ok: false, reason: 'expired' };
    return {
      ok: true,
      personId: grant.personId,
      clientId: grant.clientId,
      scopes: access.scopes,
      grantId: grant.id,
    };
  }

  /** Person or admin revokes access; returns the grants revoked. */
  revokeGrantsOf(personId: string, clientId?: string): Grant[] {
    const revoked: Grant[] = [];
    for (const grant of this.#grants.values()) {
      if (grant.personId !== personId || grant.revokedAt !== undefined) continue;
      if (clientId && grant.clientId !== clientId) continue;
      this.#revokeGrant(grant);
      revoked.push(grant);
    }
    return revoked;
  }

  #revokeGrant(grant: Grant): void {
    grant.revokedAt = this.#now();
    this.counters.tokensRevoked++;
  }

  grants(): Grant[] {
    return [...this.#grants.values()];
  }

  /** Live grants of a person (the people a subscriber may hear about). */
  activeGrantsOf(personId: string): Grant[] {
    return this.grants().filter((g) => g.personId === personId && g.revokedAt === undefined);
  }

  #activeGrant(clientId: string, personId: string): Grant | undefined {
    return this.grants().find(
      (g) => g.clientId === clientId && g.personId === personId && g.revokedAt === undefined,
    );
  }

  #grantHasLiveRefreshToken(grantId: string): boolean {
    const now = this.#now();
    for (const refresh of this.#refreshTokens.values()) {
      if (refresh.grantId === grantId && refresh.expiresAt > now) return true;
    }
    return false;
  }
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function withQuery(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return url.toString();
}
