// State of the emulated Withings OAuth server (account.withings.com + /v2/oauth2).

export const WITHINGS_SCOPES = ['user.info', 'user.metrics', 'user.activity', 'user.sleepevents'] as const;

export interface PendingAuthorization {
  id: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string;
  demo: boolean;
  expiresAt: number;
}

export interface Grant {
  id: string;
  clientId: string;
  personId: string;
  createdAt: number;
  revokedAt?: number;
  /** requesttoken calls per grant type that reached this grant (for "exactly one refresh" tests). */
  tokenRequests: { authorization_code: number; refresh_token: number };
}

export interface AuthorizationCode {
  code: string;
  clientId: string;
  redirectUri: string;
  grantId: string;
  scopes: string[];
  expiresAt: number;
  used: boolean;
}

export interface AccessToken {
  token: string;
  grantId: string;
  scopes: string[];
  expiresAt: number;
  /** The refresh token spent to get this one; its first use retires that refresh token. */
  fromRefresh?: string;
  used: boolean;
}

export interface RefreshToken {
  token: string;
  grantId: string;
  scopes: string[];
  expiresAt: number;
  /** When a refresh with it first issued a successor pair (the 8 h grace starts then). */
  successorIssuedAt?: number;
  retired: boolean;
}

export type AccessCheck =
  | { ok: true; personId: string; clientId: string; scopes: string[]; grantId: string }
  | { ok: false; clientId?: string };
