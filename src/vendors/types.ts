import { AppError } from '../errors.ts';
import type { MeasurementType } from '../fhir/measurement.ts';
import type { VendorSync } from './sync.types.ts';

// The contract every vendor folder implements, and nothing more: what it is called, which
// data types it can supply and which OAuth scope each needs, how to run its OAuth flow, who the
// connected account is, and its part of a sync (src/vendors/sync.types.ts).

export const VENDOR_IDS = ['fitbit', 'withings'] as const;
export type VendorId = (typeof VENDOR_IDS)[number];

export function isVendorId(value: string): value is VendorId {
  return (VENDOR_IDS as readonly string[]).includes(value);
}

export interface DataTypeSupport {
  type: MeasurementType;
  /** The scope that must be granted to read this type. */
  scope: string;
}

export interface OAuthTokenSet {
  accessToken: string;
  /** Null when the vendor did not issue a new one (Google refreshes keep the old one). */
  refreshToken: string | null;
  accessExpiresAt: Date | null;
  refreshExpiresAt: Date | null;
  /** Granted scopes, when the vendor reported them. */
  scopes: string[] | null;
  /** The vendor's id of the user, when the token response names it (Withings `userid`). */
  vendorUserId?: string;
}

export interface AuthorizationRequest {
  state: string;
  codeChallenge: string;
  scopes: readonly string[];
  /** Ask the user to consent again (needed to be issued a new refresh token). */
  forceConsent: boolean;
  loginHint?: string | undefined;
}

export interface VendorOAuth {
  /** The exact redirect URI registered with the vendor. */
  readonly redirectUri: string;
  authorizationUrl(request: AuthorizationRequest): URL;
  /** Validates the callback parameters (error, iss) and exchanges the code with the PKCE verifier. */
  exchangeCode(
    callback: URLSearchParams,
    expected: { state: string; codeVerifier: string },
  ): Promise<OAuthTokenSet>;
  refresh(refreshToken: string): Promise<OAuthTokenSet>;
  /**
   * Ends the grant at the vendor. `account` names whose grant it is, for vendors that revoke by
   * user rather than by token (Withings); a vendor that needs it and gets none throws.
   */
  revoke(token: string, account?: { vendorUserId: string | null }): Promise<void>;
}

export interface VendorAccount {
  vendorUserId: string;
  legacyVendorUserId: string | null;
}

export interface VendorAdapter {
  readonly id: VendorId;
  readonly displayName: string;
  readonly dataTypes: readonly DataTypeSupport[];
  /** Scopes asked for beside the data types' ones, for account metadata (e.g. the user's time zone). */
  readonly accountScopes?: readonly string[];
  readonly oauth: VendorOAuth;
  /**
   * Who granted access: called once after the code exchange, with its tokens (an identity call
   * uses the access token; a vendor whose token response names the user reads `vendorUserId`).
   */
  fetchAccount(tokens: OAuthTokenSet): Promise<VendorAccount>;
  /** Its part of a sync, built once by the sync engine. */
  createSync(): VendorSync;
  /** Per-account push notifications, for vendors that subscribe per user (Withings). */
  readonly subscriptions?: VendorSubscriptions;
}

/** Best effort both ways: polling stays the safety net. */
export interface VendorSubscriptions {
  /** After a connect: ask the vendor to notify us of this account's new data. */
  subscribe(accessToken: string, scopes: readonly string[]): Promise<void>;
  /** Before a disconnect's revoke. */
  unsubscribe(accessToken: string, scopes: readonly string[]): Promise<void>;
}

/** The vendor refused the grant for good (`invalid_grant`): the user must authorize again. */
export class VendorGrantRevokedError extends AppError {
  readonly vendor: string;
  readonly retryable = false;
  constructor(vendor: string, detail = 'The authorization was revoked or has expired') {
    super('VENDOR_AUTH_REVOKED', detail);
    this.name = 'VendorGrantRevokedError';
    this.vendor = vendor;
  }
}

/** The authorization response or the code exchange failed; `reason` is a stable code for the redirect. */
export class VendorAuthorizationError extends AppError {
  readonly vendor: string;
  readonly reason: string;
  constructor(vendor: string, reason: string, detail: string, cause?: unknown) {
    super('OAUTH_FAILED', detail, { cause });
    this.name = 'VendorAuthorizationError';
    this.vendor = vendor;
    this.reason = reason;
  }
}

/** Scopes granted vs the ones each data type needs. */
export function consentCoverage(
  adapter: Pick<VendorAdapter, 'dataTypes'>,
  granted: readonly string[],
): { missingScopes: string[]; skippedTypes: MeasurementType[]; types: MeasurementType[] } {
  const have = new Set(granted);
  const skipped = adapter.dataTypes.filter((d) => !have.has(d.scope));
  return {
    missingScopes: [...new Set(skipped.map((d) => d.scope))],
    skippedTypes: skipped.map((d) => d.type),
    types: adapter.dataTypes.filter((d) => have.has(d.scope)).map((d) => d.type),
  };
}
