/**
 * The vendor requests of one run, and how many of them its run item already counts. Requests go on
 * (a prefetch) while earlier ones are written, so a writer reads `unrecorded`, writes it, then
 * marks that many recorded: nothing is reset, and a failed write leaves them to the next one.
 *
 *   const meter = requestMeter()      session.onRequest = meter.onRequest
 *   meter.unrecorded -> made, not yet written     meter.recorded(n) after n were written
 */
export interface RequestMeter {
  readonly unrecorded: number;
  onRequest(): void;
  recorded(n: number): void;
}

export function requestMeter(): RequestMeter {
  let made = 0;
  let written = 0;
  return {
    get unrecorded() {
      return made - written;
    },
    onRequest: () => {
      made += 1;
    },
    recorded: (n) => {
      written += n;
    },
  };
}
