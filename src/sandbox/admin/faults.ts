// Faults the admin API injects: N error statuses, added latency, or requests that hang.

export interface FaultSpec {
  /** Answer with this status (google.rpc.Status body for the Health API, OAuth JSON for /token). */
  status?: 429 | 500 | 502 | 503 | 504;
  /** Delay before answering (or before the injected error). */
  latencyMs?: number;
  /** Never answer: the client must time out. */
  timeout?: boolean;
  /** How many matching requests take this fault (default 1). */
  count?: number;
  /** Only requests by this person (Health API) ... */
  personId?: string;
  /** ... or whose path contains this text, e.g. 'dataTypes/steps'. */
  pathContains?: string;
  /** Which surface: the Health API (default), the OAuth token endpoint, or both. */
  target?: 'health' | 'oauth' | 'any';
}

export interface ActiveFault extends FaultSpec {
  remaining: number;
}

export class FaultInjector {
  readonly #faults: ActiveFault[] = [];

  add(spec: FaultSpec): void {
    this.#faults.push({ ...spec, remaining: spec.count ?? 1 });
  }

  clear(): void {
    this.#faults.length = 0;
  }

  list(): ActiveFault[] {
    return this.#faults.map((f) => ({ ...f }));
  }

  /** Consumes and returns the first fault matching this request, if any. */
  take(surface: 'health' | 'oauth', path: string, personId: string | undefined): ActiveFault | undefined {
    const index = this.#faults.findIndex(
      (f) =>
        ((f.target ?? 'health') === 'any' || (f.target ?? 'health') === surface) &&
        (f.personId === undefined || f.personId === personId) &&
        (f.pathContains === undefined || path.includes(f.pathContains)),
    );
    const fault = this.#faults[index];
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    return fault;
  }
}
