import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

/**
 * A plaintext credential that refuses to be printed: JSON, string conversion and
 * util.inspect (what loggers and test reporters use) all show `[REDACTED]`. Only `reveal()`
 * gives the value, so every use of the plaintext is a visible, greppable call.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return REDACTED;
  }
  toString(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}
