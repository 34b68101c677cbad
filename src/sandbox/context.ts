// Everything the sandbox's routes share, built once by startSandbox and passed down.

import type { FaultInjector } from './admin/faults.ts';
import type { RequestLog } from './admin/request-log.ts';
import type { RateLimiter } from './health/rate-limit.ts';
import type { OAuthService } from './oauth/oauth.service.ts';
import type { PeopleStore } from './people/people.ts';
import type { WebhookService } from './webhooks/webhook.service.ts';

export interface SandboxContext {
  now: () => Date;
  people: PeopleStore;
  oauth: OAuthService;
  requests: RequestLog;
  faults: FaultInjector;
  rateLimiter: RateLimiter;
  webhooks: WebhookService;
  autoConsent: boolean;
  /** Person the consent page signs in as when no login_hint is given (admin.setConsentPerson). */
  consentPersonId?: string;
  /** People whose Google account has no Google Health profile (ACCOUNT_NOT_LINKED). */
  notLinked: Set<string>;
  /** Requests the sandbox holds open for an injected timeout; answered with 504 on close. */
  hanging: Set<() => void>;
}
