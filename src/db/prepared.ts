/**
 * Named prepared statements for hot queries on a PostgreSQL server.
 *
 *   executePrepared(db, query)        -> rows; on a server the statement is parsed and planned once
 *                                        per connection, then its plan is reused (PGlite: as usual)
 *   preparedStatement(build, shapeOf) -> statement: `build(db, slots)` built and compiled by Kysely
 *                                        once per shape and database handle, marked for executePrepared
 *     statement.execute(db, input)    -> rows (its values filled in, a Date as its ISO text)
 *     statement.compile(db, input)    -> the CompiledQuery it runs (tests compare it with a direct build)
 *   preparingQuery(client.query)      -> the pg client's query function, naming marked statements
 *
 * Why: parsing and planning were a large share of PostgreSQL's CPU per health page
 * (bench/api/README.md). A statement marked here is prepared under a name derived from its text; PostgreSQL plans the
 * first five executions with their values, then keeps a generic plan when it costs no more. Only
 * mark queries whose best plan does not depend on the values (an equality on the index's leading
 * columns, constants such as `resource_type = 'Observation'` inlined as literals so partial indexes
 * still match a generic plan).
 */
import { createHash } from 'node:crypto';
import { type Compilable, CompiledQuery } from 'kysely';
import type { Db } from './database.ts';

const MARK = '/* prepared */ ';
// Statements kept per connection: beyond this, marked queries run unnamed (planned each time).
const MAX_PER_CONNECTION = 200;

export async function executePrepared<R>(db: Db, query: Compilable<R> | CompiledQuery<R>): Promise<R[]> {
  const c = 'compile' in query ? query.compile() : query;
  const text = c.sql.startsWith(MARK) ? c.sql : MARK + c.sql;
  const result = await db.executeQuery<R>(CompiledQuery.raw(text, [...c.parameters]));
  return result.rows;
}

/** Stands for the value at `index` while a query is built and compiled for a shape. */
class Slot {
  readonly index: number;
  constructor(index: number) {
    this.index = index;
  }
  toJSON(): string {
    return '$';
  }
}

export interface PreparedStatement<I, R> {
  compile(db: Db, input: I): CompiledQuery<R>;
  execute(db: Db, input: I): Promise<R[]>;
}

/**
 * The one cache of compiled statements: per database handle (a query compiles for its dialect),
 * then per shape (`compileByShape`). Repositories declare their hot queries with it at module level.
 */
export function preparedStatement<I, R>(
  build: (db: Db, shaped: I) => Compilable<R>,
  shapeOf: (input: I, slot: (value: unknown) => never) => I,
): PreparedStatement<I, R> {
  const byDb = new WeakMap<Db, (input: I) => CompiledQuery<R>>();
  const compile = (db: Db, input: I): CompiledQuery<R> => {
    let compileShaped = byDb.get(db);
    if (compileShaped === undefined) {
      compileShaped = compileByShape((shaped: I) => build(db, shaped), shapeOf);
      byDb.set(db, compileShaped);
    }
    return compileShaped(input);
  };
  return { compile, execute: (db, input) => executePrepared(db, compile(db, input)) };
}

/**
 * A query built and compiled once per shape: building and compiling a health page's query with
 * Kysely on every request was a visible share of the server's CPU per page (bench/api/README.md).
 * `shapeOf(input, slot)` returns the builder's input with every value replaced by `slot(value)`;
 * what stays (which fields are present, list lengths, words such as a sort order) is the shape.
 * The builder must take its decisions from the shape alone and use values only as parameters
 * (no arithmetic on them in JS: do it in SQL). test/health/page-shape.test.ts checks the result
 * against building the query with the values themselves.
 */
function compileByShape<I, R>(
  build: (shaped: I) => Compilable<R>,
  shapeOf: (input: I, slot: (value: unknown) => never) => I,
  maxShapes = 500,
): (input: I) => CompiledQuery<R> {
  const compiled = new Map<string, CompiledQuery<R>>();
  return (input) => {
    const values: unknown[] = [];
    const shaped = shapeOf(input, (value) => {
      values.push(asParameter(value)); // once per value, however often the statement uses it
      return new Slot(values.length - 1) as never;
    });
    const key = JSON.stringify(shaped);
    let query = compiled.get(key);
    if (query === undefined) {
      // Marked here, once: every call then hands the connection the same string, whose hash V8
      // keeps, so its statement-name lookup does not hash a few kB of new text per call.
      const built = build(shaped).compile();
      query = CompiledQuery.raw(MARK + built.sql, [...built.parameters]) as CompiledQuery<R>;
      if (compiled.size < maxShapes) compiled.set(key, query);
    }
    const parameters = query.parameters.map((p) => (p instanceof Slot ? values[p.index] : p));
    return CompiledQuery.raw(query.sql, parameters) as CompiledQuery<R>;
  };
}

/**
 * A Date travels as its ISO text (UTC, what a timestamptz reads the same), formatted once: pg
 * formats a Date parameter each time the statement uses it, and a health page of three types uses
 * each of its two bounds six times.
 */
function asParameter(value: unknown): unknown {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : value;
}

type QueryFn = (...args: unknown[]) => unknown;

/** Wraps a pg client's `query` so marked texts run as named statements (a bounded number of them). */
export function preparingQuery(query: QueryFn): QueryFn {
  // Text -> statement name: the sha1 of a page's ~3 kB text is taken once per connection, not per call.
  const names = new Map<string, string>();
  return (text, ...rest) => {
    if (typeof text !== 'string' || !text.startsWith(MARK) || !Array.isArray(rest[0]))
      return query(text, ...rest);
    let name = names.get(text);
    if (name === undefined) {
      if (names.size >= MAX_PER_CONNECTION) return query(text, ...rest);
      name = `p_${createHash('sha1').update(text).digest('hex')}`;
      names.set(text, name);
    }
    return query({ name, text, values: rest[0] }, ...rest.slice(1));
  };
}
