// What a handler may throw to steer the runner (anything else counts as retryable), and what
// `enqueue` throws when the runner cannot take a job.

/** A transient failure (network, 5xx, lock timeout): retried with jittered backoff; spends an attempt. */
export class RetryableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryableError';
  }
}

/**
 * Not now, later (a vendor rate limit, Retry-After): the job is re-scheduled for `untilMs`
 * (epoch milliseconds) WITHOUT spending an attempt.
 */
export class DelayError extends Error {
  readonly untilMs: number;
  constructor(untilMs: number, message = 'delayed', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DelayError';
    this.untilMs = untilMs;
  }

  /** `throw DelayError.after(retryAfterMs, clock.now().getTime())` */
  static after(delayMs: number, nowMs: number = Date.now(), message?: string): DelayError {
    return new DelayError(nowMs + Math.max(0, delayMs), message);
  }
}

/**
 * Retrying cannot help (consent revoked, integration deleted, bad payload): the job is
 * recorded as failed at once and never retried. `code` is a stable machine-readable reason.
 */
export class PermanentError extends Error {
  readonly code: string;
  constructor(code: string, message?: string, options?: { cause?: unknown }) {
    super(message ?? code, options);
    this.name = 'PermanentError';
    this.code = code;
  }
}

/**
 * Not a handler outcome: `enqueue` could not hand the job to the runner in time (Redis down or
 * unreachable). The job may or may not exist; the caller decides what its request becomes.
 */
export class JobsUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobsUnavailableError';
  }
}

/**
 * The runner gave up on a job whose worker died (or froze) while running it, twice: it is failed
 * without running again, and its definition's onFailure is called with this error.
 */
export class JobStalledError extends PermanentError {
  constructor(message = 'the job stalled too many times') {
    super('JOB_STALLED', message);
    this.name = 'JobStalledError';
  }
}
