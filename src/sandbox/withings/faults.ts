// Faults the admin injects into the Withings API: the next N matching calls answer an envelope
// error (601, 522, 2555, ...) or a non-JSON HTML page from a proxy (HTTP 502), or take extra time.

export interface WithingsFaultSpec {
  /** Envelope status to answer on HTTP 200, e.g. 601 (too many), 522 (timeout), 2555 (unknown error). */
  status?: number;
  /** Or an HTML error page with this HTTP status, as a proxy in front of Withings would send. */
  httpStatus?: 500 | 502 | 503 | 504;
  /** Envelope body of the error (default {}), e.g. { wait_seconds: 30 } with 601. */
  body?: Record<string, unknown>;
  /** Envelope `error` text (a default per status otherwise). */
  error?: string;
  /** Delay before answering (with or without an error). */
  latencyMs?: number;
  /** Never answer until the admin releases it (sandbox.admin.releaseHanging) or the client goes away. */
  timeout?: boolean;
  /** Only this service path, e.g. '/measure', '/v2/sleep', '/v2/oauth2', '/notify'. */
  service?: string;
  /** Only this action, e.g. 'getmeas', 'requesttoken'. */
  action?: string;
  /** Only calls made with this person's token. */
  personId?: string;
  /** How many matching calls take it (default 1). */
  count?: number;
}

export interface ActiveWithingsFault extends WithingsFaultSpec {
  remaining: number;
}

const DEFAULT_TEXT: Record<number, string> = {
  601: 'Too Many Requests',
  522: 'A timeout occurred',
  524: 'Bad state',
  2555: 'An unknown error occurred',
  2554: 'Not implemented',
};

export function faultText(fault: WithingsFaultSpec): string {
  return fault.error ?? DEFAULT_TEXT[fault.status ?? 0] ?? 'An error occurred';
}

export class WithingsFaults {
  readonly #faults: ActiveWithingsFault[] = [];

  add(spec: WithingsFaultSpec): void {
    if (spec.status === undefined && spec.httpStatus === undefined && !spec.latencyMs && !spec.timeout)
      throw new Error('a fault needs status, httpStatus, latencyMs or timeout');
    this.#faults.push({ ...spec, remaining: spec.count ?? 1 });
  }

  clear(): void {
    this.#faults.length = 0;
  }

  list(): ActiveWithingsFault[] {
    return this.#faults.map((f) => ({ ...f }));
  }

  take(
    service: string,
    action: string | undefined,
    personId: string | undefined,
  ): ActiveWithingsFault | undefined {
    const index = this.#faults.findIndex(
      (f) =>
        (f.service === undefined || f.service === service) &&
        (f.action === undefined || f.action === action) &&
        (f.personId === undefined || f.personId === personId),
    );
    const fault = this.#faults[index];
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    return fault;
  }
}
