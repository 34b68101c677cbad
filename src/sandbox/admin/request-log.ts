// Counts of requests per endpoint and per person, so tests can assert how the app used the
// vendor ("exactly one refresh", "no more than N list calls").

import type { OAuthService } from '../oauth/oauth.service.ts';

export interface GrantLog {
  grantId: string;
  clientId: string;
  personId: string;
  scopes: string[];
  revoked: boolean;
  tokenRequests: { authorization_code: number; refresh_token: number };
}

export interface RequestLogSnapshot {
  total: number;
  /** Keyed 'METHOD /path' with the literal path, e.g. 'GET /v4/users/me/dataTypes/steps/dataPoints'. */
  byEndpoint: Record<string, number>;
  /** Health API calls per person id, keyed as byEndpoint. */
  byUser: Record<string, Record<string, number>>;
  tokens: { accessTokensIssued: number; refreshTokensIssued: number; tokensRevoked: number };
  grants: GrantLog[];
}

export class RequestLog {
  #total = 0;
  #byEndpoint: Record<string, number> = {};
  #byUser: Record<string, Record<string, number>> = {};

  record(endpoint: string, personId?: string): void {
    this.#total++;
    this.#byEndpoint[endpoint] = (this.#byEndpoint[endpoint] ?? 0) + 1;
    if (personId) {
      const user = this.#byUser[personId] ?? {};
      user[endpoint] = (user[endpoint] ?? 0) + 1;
      this.#byUser[personId] = user;
    }
  }

  reset(): void {
    this.#total = 0;
    this.#byEndpoint = {};
    this.#byUser = {};
  }

  snapshot(oauth: OAuthService): RequestLogSnapshot {
    return {
      total: this.#total,
      byEndpoint: { ...this.#byEndpoint },
      byUser: structuredClone(this.#byUser),
      tokens: { ...oauth.counters },
      grants: oauth.grants().map((g) => ({
        grantId: g.id,
        clientId: g.clientId,
        personId: g.personId,
        scopes: [...g.scopes],
        revoked: g.revokedAt !== undefined,
        tokenRequests: { ...g.tokenRequests },
      })),
    };
  }
}
