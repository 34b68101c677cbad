// Everything the Withings emulator's routes share, built once by createWithings.

import type { SandboxContext } from '../context.ts';
import type { PeopleStore } from '../people/people.ts';
import type { WithingsData } from './data/store.ts';
import type { WithingsFaults } from './faults.ts';
import type { NotifyService } from './notify.service.ts';
import type { WithingsOAuth } from './oauth.service.ts';
import type { RollingLimiter } from './rate-limit.ts';
import type { WithingsRequestLog } from './request-log.ts';
import type { NonceStore } from './signature.ts';
import type { ResolvedWithingsOptions } from './withings.types.ts';

export interface WithingsContext {
  now: () => Date;
  people: PeopleStore;
  options: ResolvedWithingsOptions;
  oauth: WithingsOAuth;
  nonces: NonceStore;
  data: WithingsData;
  notify: NotifyService;
  requests: WithingsRequestLog;
  faults: WithingsFaults;
  limiter: RollingLimiter;
  autoConsent: boolean;
  /** Person the consent page signs in as (falls back to the Google side's consent person, then the first). */
  consentPersonId?: string;
  /** The Google side's context: its consent person and the set of hung requests. */
  sandbox: SandboxContext;
  /** The fixed demo person (mode=demo, getdemoaccess), created on first use. */
  demoPersonId(): string;
}
