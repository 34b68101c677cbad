// Counts of Withings API calls, so tests can assert how the connector used the vendor: per
// action ('/measure getmeas'), per person, per access token, and per answered status.

import type { WithingsOAuth } from './oauth.service.ts';

export interface WithingsRequestLogSnapshot {
  total: number;
  /** Keyed '<service> <action>', e.g. '/measure getmeas', '/v2/oauth2 requesttoken'. */
  byAction: Record<string, number>;
  /** Calls made with a person's valid token, keyed like byAction. */
  byUser: Record<string, Record<string, number>>;
  /** Calls per access token sent (valid or not), keyed like byAction. */
  byToken: Record<string, Record<string, number>>;
  /** Answers per envelope status ('0', '401', '601', ...) or 'http-502' for injected HTML pages. */
  byStatus: Record<string, number>;
  tokens: { accessTokensIssued: number; refreshTokensIssued: number; grantsRevoked: number };
  grants: {
    grantId: string;
    clientId: string;
    personId: string;
    revoked: boolean;
    tokenRequests: { authorization_code: number; refresh_token: number };
  }[];
}

const bump = (map: Record<string, number>, key: string) => {
  map[key] = (map[key] ?? 0) + 1;
};

const bumpNested = (map: Record<string, Record<string, number>>, outer: string, key: string) => {
  const inner = map[outer] ?? {};
  bump(inner, key);
  map[outer] = inner;
};

export class WithingsRequestLog {
  #total = 0;
  #byAction: Record<string, number> = {};
  #byUser: Record<string, Record<string, number>> = {};
  #byToken: Record<string, Record<string, number>> = {};
  #byStatus: Record<string, number> = {};

  record(key: string, personId: string | undefined, token: string | undefined): void {
    this.#total++;
    bump(this.#byAction, key);
    if (personId) bumpNested(this.#byUser, personId, key);
    if (token) bumpNested(this.#byToken, token, key);
  }

  answered(status: string): void {
    bump(this.#byStatus, status);
  }

  reset(): void {
    this.#total = 0;
    this.#byAction = {};
    this.#byUser = {};
    this.#byToken = {};
    this.#byStatus = {};
  }

  snapshot(oauth: WithingsOAuth): WithingsRequestLogSnapshot {
    return {
      total: this.#total,
      byAction: { ...this.#byAction },
      byUser: structuredClone(this.#byUser),
      byToken: structuredClone(this.#byToken),
      byStatus: { ...this.#byStatus },
      tokens: { ...oauth.counters },
      grants: oauth.grants().map((g) => ({
        grantId: g.id,
        clientId: g.clientId,
        personId: g.personId,
        revoked: g.revokedAt !== undefined,
        tokenRequests: { ...g.tokenRequests },
      })),
    };
  }
}
