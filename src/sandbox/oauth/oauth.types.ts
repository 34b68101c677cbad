// State of the emulated Google OAuth server.

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

/** What the person agreed to for one client; tokens hang off a grant. */
export interface Grant {
  id: string;
  clientId: string;
  personId: string;
  scopes: Set<string>;
  createdAt: number;
  revokedAt?: number;
  /** Token endpoint calls that used this grant, by grant type (for "exactly one refresh" tests). */
  tokenRequests: { authorization_code: number; refresh_token: number };
}

export interface PendingAuthorization {
  id: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state?: string;
  offline: boolean;
  forceConsent: boolean;
  includeGrantedScopes: boolean;
  loginHint?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  expiresAt: number;
}

export interface AuthorizationCode {
  code: string;
  clientId: string;
  redirectUri: string;
  grantId: string;
  scopes: string[];
  issueRefreshToken: boolean;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  expiresAt: number;
  used: boolean;
}

export interface IssuedToken {
  token: string;
  grantId: string;
  scopes: string[];
  expiresAt: number;
}

export type TokenCheck =
  | { ok: true; personId: string; clientId: string; scopes: string[]; grantId: string }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' };

export interface OAuthResult {
  status: number;
  body: Record<string, unknown>;
}
