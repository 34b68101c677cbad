// The AIP-160 subset the Health API accepts on list and reconcile (docs/google-health.md §3.4):
// time restrictions joined by AND (OR only for sleep), operators >= and <, quoted
// literals, one member set per record type. Errors carry the documented reasons (§7).

import type { DataTypeInfo } from '../catalog.ts';
import { ApiError, filterError } from '../lib/errors.ts';
import { civilStringAt, DAY_MS, parseCivil, parseRfc3339 } from '../lib/time.ts';
import type { Point } from '../people/model.ts';

type Axis = 'physicalStart' | 'civilStart' | 'physicalEnd' | 'civilEnd' | 'date';
type Token = { kind: 'ident' | 'string' | 'op' | 'lparen' | 'rparen'; text: string };
type Node =
  | { kind: 'and' | 'or'; children: Node[] }
  | { kind: 'restriction'; axis: Axis; op: '>=' | '<'; value: number | string };

export interface CompiledFilter {
  matches(point: Point): boolean;
  /** Physical bounds that are safe to load days by (padded for civil restrictions). */
  fromMs: number;
  toMs: number;
}

const P = 'INVALID_DATA_POINT_FILTER';

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (/\s/.test(ch)) i++;
    else if (ch === '(' || ch === ')') {
      tokens.push({ kind: ch === '(' ? 'lparen' : 'rparen', text: ch });
      i++;
    } else if (ch === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw filterError(`${P}_SYNTAX`, 'Invalid filter syntax: unterminated string literal.');
      tokens.push({ kind: 'string', text: text.slice(i + 1, end) });
      i = end + 1;
    } else if (/[<>=!:]/.test(ch)) {
      const op = /^(>=|<=|!=|<|>|=|:)/.exec(text.slice(i))?.[0] ?? ch;
      tokens.push({ kind: 'op', text: op });
      i += op.length;
    } else if (/[A-Za-z0-9_.\-+:]/.test(ch)) {
      const word = /^[A-Za-z0-9_.\-+]+/.exec(text.slice(i))?.[0] ?? ch;
      tokens.push({ kind: 'ident', text: word });
      i += word.length;
    } else {
      throw filterError(`${P}_SYNTAX`, `Invalid filter syntax: unexpected character '${ch}'.`);
    }
  }
  return tokens;
}

/** Members each record type may filter on (suffix after the type name) and their axes. */
function membersFor(type: DataTypeInfo): Record<string, Axis> {
  if (type.record === 'interval')
    return { 'interval.start_time': 'physicalStart', 'interval.civil_start_time': 'civilStart' };
  if (type.record === 'sample')
    return { 'sample_time.physical_time': 'physicalStart', 'sample_time.civil_time': 'civilStart' };
  if (type.record === 'daily') return { date: 'date' };
  // NOTE: sleep filters on end time only; start_time is rejected live (§3.4).
  if (type.id === 'sleep')
    return { 'interval.end_time': 'physicalEnd', 'interval.civil_end_time': 'civilEnd' };
  // NOTE: other sessions filter on civil_start_time only (§3.4, 3P live).
  return { 'interval.civil_start_time': 'civilStart' };
}

class Parser {
  readonly #tokens: Token[];
  readonly #type: DataTypeInfo;
  #pos = 0;

  constructor(tokens: Token[], type: DataTypeInfo) {
    this.#tokens = tokens;
    this.#type = type;
  }

  parse(): Node {
    const node = this.#expression();
    const extra = this.#tokens[this.#pos];
    if (extra) throw filterError(`${P}_UNEXPECTED_TOKEN`, `Unexpected token '${extra.text}' in filter.`);
    return node;
  }

  #next(): Token {
    const token = this.#tokens[this.#pos++];
    if (!token) throw filterError(`${P}_UNEXPECTED_END_OF_INPUT`, 'Unexpected end of filter input.');
    return token;
  }

  #peekKeyword(word: string): boolean {
    const token = this.#tokens[this.#pos];
    return token?.kind === 'ident' && token.text === word;
  }

  // AIP-160: OR binds tighter than AND.
  #expression(): Node {
    const children = [this.#sequence()];
    while (this.#peekKeyword('AND')) {
      this.#pos++;
      children.push(this.#sequence());
    }
    return children.length === 1 && children[0] ? children[0] : { kind: 'and', children };
  }

  #sequence(): Node {
    const children = [this.#factor()];
    while (this.#peekKeyword('OR')) {
      if (this.#type.id !== 'sleep') {
        throw filterError(
          `${P}_EXPRESSION_STRUCTURE`,
          `OR is not supported in filters for data type ${this.#type.id}.`,
        );
      }
      this.#pos++;
      children.push(this.#factor());
    }
    return children.length === 1 && children[0] ? children[0] : { kind: 'or', children };
  }

  #factor(): Node {
    const token = this.#next();
    if (token.kind === 'lparen') {
      const inner = this.#expression();
      if (this.#next().kind !== 'rparen') throw filterError(`${P}_MISSING_TOKEN`, "Missing ')' in filter.");
      return inner;
    }
    if (token.kind !== 'ident')
      throw filterError(`${P}_UNEXPECTED_TOKEN`, `Unexpected token '${token.text}' in filter.`);
    const axis = this.#member(token.text);
    const op = this.#next();
    if (op.kind !== 'op')
      throw filterError(`${P}_MISSING_TOKEN`, `Expected a comparator after '${token.text}'.`);
    // NOTE: only >= and < are allowed; <= was rejected live with ..._RESTRICTION_COMPARATOR (§3.4, §7).
    if (op.text !== '>=' && op.text !== '<') {
      throw filterError(
        `${P}_RESTRICTION_COMPARATOR`,
        `Comparator '${op.text}' is not supported; use >= or <.`,
      );
    }
    const literal = this.#next();
    if (literal.kind !== 'string') {
      throw filterError(
        `${P}_RESTRICTION_COMPARABLE`,
        `Filter values must be double-quoted strings, got '${literal.text}'.`,
      );
    }
    return { kind: 'restriction', axis, op: op.text, value: parseLiteral(axis, literal.text) };
  }

  #member(text: string): Axis {
    const dot = text.indexOf('.');
    const prefix = dot < 0 ? text : text.slice(0, dot);
    // NOTE: filter names are snake_case; one docs example uses camelCase, so both are accepted (§3.4).
    if (prefix !== this.#type.filterName && prefix !== this.#type.unionField) {
      throw filterError(
        `${P}_DATA_TYPE_RESTRICTION`,
        `Filter member '${text}' does not belong to data type ${this.#type.filterName}.`,
      );
    }
    const axis = membersFor(this.#type)[text.slice(dot + 1)];
    if (dot < 0 || !axis) {
      const shown = this.#type.id === 'sleep' && text.endsWith('start_time') ? `${prefix}.start_time` : text;
      throw filterError(`${P}_DATA_TYPE_MEMBER`, `Member '${shown}' is not supported for filtering.`);
    }
    return axis;
  }
}

function parseLiteral(axis: Axis, text: string): number | string {
  if (axis === 'physicalStart' || axis === 'physicalEnd') {
    const ms = parseRfc3339(text);
    if (ms === undefined)
      throw filterError('INVALID_FILTER_FORMAT', `Invalid timestamp '${text}'; expected RFC 3339.`);
    return ms;
  }
  const civil = parseCivil(text);
  if (!civil || (axis === 'date' && civil.hasTime)) {
    const expected = axis === 'date' ? 'YYYY-MM-DD' : 'YYYY-MM-DD or YYYY-MM-DDTHH:mm:ss';
    throw filterError(
      `${P}_CIVIL_DATE_TIME_FORMAT`,
      `Invalid civil date-time '${text}'; expected ${expected}.`,
    );
  }
  return axis === 'date' ? civil.civil.slice(0, 10) : civil.civil;
}

function axisValue(point: Point, axis: Axis): number | string {
  if (axis === 'physicalStart') return point.start;
  if (axis === 'physicalEnd') return point.end;
  if (axis === 'civilStart') return civilStringAt(point.start, point.startOffset);
  if (axis === 'civilEnd') return civilStringAt(point.end, point.endOffset);
  return point.date ?? '';
}

function evaluate(node: Node, point: Point): boolean {
  if (node.kind === 'and') return node.children.every((c) => evaluate(c, point));
  if (node.kind === 'or') return node.children.some((c) => evaluate(c, point));
  if (node.kind !== 'restriction') return false;
  const value = axisValue(point, node.axis);
  return node.op === '>=' ? value >= node.value : value < node.value;
}

/** Bounds from top-level AND restrictions only; anything else loads every day. */
function bounds(node: Node): { fromMs: number; toMs: number } {
  let fromMs = 0;
  let toMs = Number.POSITIVE_INFINITY;
  const restrictions = node.kind === 'and' ? node.children : [node];
  for (const r of restrictions) {
    if (r.kind !== 'restriction') continue;
    const physical = typeof r.value === 'number';
    const ms = physical ? (r.value as number) : Date.parse(`${String(r.value).slice(0, 10)}T00:00:00Z`);
    const pad = physical ? 0 : 2 * DAY_MS;
    if (r.op === '>=') fromMs = Math.max(fromMs, ms - pad);
    else toMs = Math.min(toMs, ms + pad);
  }
  return { fromMs, toMs };
}

export function compileFilter(text: string | undefined, type: DataTypeInfo): CompiledFilter {
  if (!text?.trim()) return { matches: () => true, fromMs: 0, toMs: Number.POSITIVE_INFINITY };
  let node: Node;
  try {
    node = new Parser(tokenize(text), type).parse();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw filterError(`${P}_SYNTAX`, 'Invalid filter syntax.');
  }
  return { matches: (point) => evaluate(node, point), ...bounds(node) };
}
