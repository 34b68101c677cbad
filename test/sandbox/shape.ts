// A recursive "shape" comparator: same fields, same JSON types, same nesting, and the same
// string kinds (int64-as-string, duration, RFC 3339 timestamp), values ignored.

import { readFileSync } from 'node:fs';

const SAMPLES = new URL('../fixtures/google-health-samples/', import.meta.url);

export function loadSample(name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, SAMPLES), 'utf8')) as unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') {
    if (/^-?\d+$/.test(value)) return 'int64-string';
    if (/^-?\d+(\.\d+)?s$/.test(value)) return 'duration';
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value)) return 'timestamp';
    return 'string';
  }
  return typeof value;
}

export interface ShapeOptions {
  /** Keys (by name) that may be present on one side only. */
  optional?: string[];
  /** Keys (by name) whose value may be null on either side (e.g. Withings' deviceid). */
  nullable?: string[];
  /** Keys (by name) holding a map with free keys (e.g. epoch seconds): each value is compared with the sample's first. */
  maps?: string[];
}

/** Differences between the shape of `expected` (a sample) and `actual` (the sandbox). Empty = same shape. */
export function shapeDiff(
  expected: unknown,
  actual: unknown,
  options: ShapeOptions = {},
  path = '$',
): string[] {
  const key = path.slice(path.lastIndexOf('.') + 1);
  if (options.nullable?.includes(key) && (expected === null || actual === null)) return [];
  if (options.maps?.includes(key) && isObject(expected) && isObject(actual)) {
    const first = Object.values(expected)[0];
    return Object.entries(actual).flatMap(([k, v]) => shapeDiff(first, v, options, `${path}.${k}`));
  }
  const expectedKind = kindOf(expected);
  const actualKind = kindOf(actual);
  // An empty string (e.g. "nextPageToken": "") matches any string kind.
  if (expectedKind !== actualKind && !(expected === '' && typeof actual === 'string')) {
    return [`${path}: expected ${expectedKind}, got ${actualKind}`];
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length === 0 || actual.length === 0) return [];
    const sameLength = expected.length === actual.length;
    return actual.flatMap((item, i) =>
      shapeDiff(sameLength ? expected[i] : expected[0], item, options, `${path}[${i}]`),
    );
  }
  if (expectedKind !== 'object') return [];
  const e = expected as Record<string, unknown>;
  const a = actual as Record<string, unknown>;
  const optional = new Set(options.optional ?? []);
  const diffs: string[] = [];
  for (const key of Object.keys(e)) {
    if (key in a) diffs.push(...shapeDiff(e[key], a[key], options, `${path}.${key}`));
    else if (!optional.has(key)) diffs.push(`${path}.${key}: missing`);
  }
  for (const key of Object.keys(a)) {
    if (!(key in e) && !optional.has(key)) diffs.push(`${path}.${key}: not in the sample`);
  }
  return diffs;
}
