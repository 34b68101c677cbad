/**
 * Limits on the shape of what a request carries, checked before anything walks it:
 *
 *   jsonBodyParser(app, opts?)   -> the JSON content-type parser of every scope: nesting over
 *                                   MAX_JSON_DEPTH is a 400 naming `body`, before JSON.parse
 *   parseQuery(text)             -> the router's query-string parser; over MAX_QUERY_PARAMS it
 *                                   parses nothing and marks the result, and
 *   rejectOversizedQuery(req)    -> (an onRequest hook) turns the mark into a 400 naming `query`
 */

import fastQuerystring from 'fast-querystring';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, invalidField } from '../errors.ts';

/** Deeper than any FHIR resource a client sends; recursive code (clone, validation) stays safe. */
export const MAX_JSON_DEPTH = 64;
export const MAX_QUERY_PARAMS = 100;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether JSON `text` nests objects and arrays deeper than `max`: one pass over the text,
 * strings skipped with indexOf. Invalid JSON is left to the parser.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Index of the quote closing the string opened at `open` (the text's end if none). */
function closingQuote(text: string, open: number): number {
  let at = text.indexOf('"', open + 1);
  while (at !== -1) {
    let slashes = 0;
    while (text.charCodeAt(at - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return at;
    at = text.indexOf('"', at + 1);
  }
  return text.length;
}

type ParserDone = (err: Error | null, body?: unknown) => void;

/**
 * The JSON body parser (Fastify's own, prototype-poisoning checks included) behind the depth
 * check. `acceptEmpty` takes an empty body as no body; `onRaw` sees the text as sent.
 */
export function jsonBodyParser(
  app: FastifyInstance,
  opts: { acceptEmpty?: boolean; onRaw?: (req: FastifyRequest, text: string) => void } = {},
): (req: FastifyRequest, body: string | Buffer, done: ParserDone) => void {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    opts.onRaw?.(req, text);
    if (text === '' && opts.acceptEmpty) {
      done(null, undefined);
      return;
    }
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      done(invalidField('body', `must not nest objects or arrays more than ${MAX_JSON_DEPTH} deep`));
      return;
    }
    void parse(req, text, done);
  };
}

const TOO_MANY = Symbol('too many query parameters');

/** fast-querystring (the router's default) once the parameter count is known to be within the cap. */
export function parseQuery(text: string): Record<string, unknown> {
  if (text.length === 0) return {};
  let count = 1;
  for (let at = text.indexOf('&'); at !== -1; at = text.indexOf('&', at + 1)) {
    if (++count > MAX_QUERY_PARAMS) return { [TOO_MANY]: true };
  }
  return fastQuerystring.parse(text) as Record<string, unknown>;
}

export function rejectOversizedQuery(req: FastifyRequest): void {
  if ((req.query as Record<symbol, unknown> | undefined)?.[TOO_MANY]) {
    throw new AppError('VALIDATION_FAILED', `query: must not have more than ${MAX_QUERY_PARAMS} parameters`, {
      errors: [{ field: 'query', message: `must not have more than ${MAX_QUERY_PARAMS} parameters` }],
    });
  }
}
