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

/**
 * Waits out a fault's latency; a `timeout` fault then holds the request in `hanging` until the admin
 * releases it (or, given `closed`, until the client goes away). Returns whether the request hung.
 */
export async function sufferFault(
  fault: ActiveFault,
  hanging: Set<() => void>,
  closed?: { once(event: 'close', listener: () => void): unknown },
): Promise<boolean> {
  if (fault.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
  if (!fault.timeout) return false;
  await new Promise<void>((resolve) => {
    const release = () => {
      hanging.delete(release);
      resolve();
    };
    hanging.add(release);
    closed?.once('close', release);
  });
  return true;
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
