/**
 * The PHR-App as an HTTP client (docs/mobile-app.md "What the app calls"), for the contract suite.
 *
 * - `appClient(app, token)`: ApiService's Dio: `Content-Type: application/json` and
 *   `Accept: application/json` on every request (GETs and body-less POSTs too), plus the bearer token.
 * - `dart`: the app's hard casts (`as int`, `as String`, ...): they throw like Dart would.
 * - `parseObservation` / `parseCondition`: `_parseObservationResource` / `_parseConditionResource`.
 * - `dartTryParse`: what `DateTime.tryParse` accepts.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

export const APP_HEADERS = { 'content-type': 'application/json', accept: 'application/json' } as const;

export interface AppClient {
  get(url: string): Promise<LightMyRequestResponse>;
  /** `body` undefined: nothing is sent, but the JSON content type still is (Dio's IO adapter). */
  post(url: string, body?: unknown): Promise<LightMyRequestResponse>;
}

export function appClient(app: FastifyInstance, token: string): AppClient {
  const headers = { ...APP_HEADERS, authorization: `Bearer ${token}` };
  return {
    get: (url) => app.inject({ method: 'GET', url, headers }),
    post: (url, body) =>
      app.inject({
        method: 'POST',
        url,
        headers,
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      }),
  };
}

/** Dio hands JSON to the app only for these content types (else a String: "unexpected response"). */
export function jsonBodyOf(res: LightMyRequestResponse): unknown {
  const type = String(res.headers['content-type'] ?? '');
  expect(type, 'Dio decodes JSON only for application/json, text/json or +json').toMatch(
    /^(application\/json|text\/json|application\/[\w.-]+\+json)\b/,
  );
  return res.json();
}

class DartCastError extends Error {}

function cast<T>(ok: (v: unknown) => boolean, name: string) {
  return (value: unknown, what = 'value'): T => {
    if (!ok(value)) throw new DartCastError(`${what}: ${JSON.stringify(value)} is not a subtype of ${name}`);
    return value as T;
  };
}

export const dart = {
  int: cast<number>((v) => typeof v === 'number' && Number.isInteger(v), 'int'),
  num: cast<number>((v) => typeof v === 'number', 'num'),
  string: cast<string>((v) => typeof v === 'string', 'String'),
  bool: cast<boolean>((v) => typeof v === 'boolean', 'bool'),
  map: cast<Record<string, unknown>>(
    (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
    'Map<String, dynamic>',
  ),
  list: cast<unknown[]>((v) => Array.isArray(v), 'List<dynamic>'),
  /** `as String?` */
  stringOrNull: cast<string | null>((v) => v === undefined || v === null || typeof v === 'string', 'String?'),
  numOrNull: cast<number | null>((v) => v === undefined || v === null || typeof v === 'number', 'num?'),
};

// Dart's DateTime.parse grammar (sdk/lib/core/date_time.dart `_parseFormat`), anchored.
const DART_DATE_TIME =
  /^([+-]?\d{4,6})-?(\d\d)-?(\d\d)(?:[ T](\d\d)(?::?(\d\d)(?::?(\d\d)(?:[.,](\d+))?)?)?( ?[zZ]| ?([-+])(\d\d)(?::?(\d\d))?)?)?$/;

/** `deviceOffset`: the phone's zone, which Dart uses for a value without one (a bare date too). */
export function dartTryParse(value: unknown, deviceOffset = 'Z'): Date | null {
  if (typeof value !== 'string') return null;
  const m = DART_DATE_TIME.exec(value);
  if (!m) return null;
  const hasOffset = m[8] !== undefined;
  const text =
    value.length === 10 ? `${value}T00:00:00${deviceOffset}` : hasOffset ? value : `${value}${deviceOffset}`;
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(ms) ? null : new Date(ms);
}

/** `getLatestObservations`: every entry must hold an object `resource`, else the whole list is lost. */
export function entriesOf(bundle: unknown): Record<string, unknown>[] {
  const data = dart.map(bundle, 'body');
  if (!('entry' in data)) return [];
  const entries = data.entry === null ? [] : dart.list(data.entry, 'entry');
  return entries.map((e, i) => dart.map(dart.map(e, `entry[${i}]`).resource, `entry[${i}].resource`));
}

export interface AppObservation {
  id: unknown;
  type: string;
  loincCode: string | null;
  value: number | null;
  unit: string | null;
  effectiveDateTime: string | null;
  notes: string | null;
  component: unknown[] | null;
}

/** `_parseObservationResource`, plus the history screen's `as String?` on the label. */
export function parseObservation(resource: Record<string, unknown>): AppObservation {
  const code = resource.code === undefined ? undefined : dart.map(resource.code, 'code');
  const codings = code?.coding === undefined ? undefined : dart.list(code.coding, 'code.coding');
  if (codings && codings.length === 0)
    throw new DartCastError('RangeError: code.coding is empty (Parse Error)');
  const first = codings ? dart.map(codings[0], 'code.coding[0]') : undefined;
  const q =
    resource.valueQuantity === undefined ? undefined : dart.map(resource.valueQuantity, 'valueQuantity');
  const note = Array.isArray(resource.note)
    ? (resource.note[0] as { text?: unknown } | undefined)
    : undefined;
  return {
    id: resource.id,
    type: dart.stringOrNull(first?.display, 'code.coding[0].display') ?? 'Unknown',
    loincCode: dart.stringOrNull(first?.code, 'code.coding[0].code'),
    value: dart.numOrNull(q?.value, 'valueQuantity.value'),
    unit: dart.stringOrNull(q?.unit, 'valueQuantity.unit'),
    effectiveDateTime: dart.stringOrNull(resource.effectiveDateTime, 'effectiveDateTime'),
    notes: dart.stringOrNull(note?.text, 'note[0].text'),
    component: resource.component === undefined ? null : dart.list(resource.component, 'component'),
  };
}

/** The observation history's group label: display, spaces before capitals, title case. */
export function groupLabel(display: string): string {
  return display
    .replace(/([A-Z])/g, ' $1')
    .trim()
    .split(' ')
    .map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : w))
    .join(' ')
    .replace(/\s+/g, ' ');
}

/** `_parseConditionResource`: every element it reads is a String when present. */
export function parseCondition(resource: Record<string, unknown>) {
  const code = resource.code === undefined ? undefined : dart.map(resource.code, 'code');
  const coding =
    code && Array.isArray(code.coding) && code.coding.length > 0 ? dart.map(code.coding[0]) : undefined;
  const first = (cc: unknown) => {
    const list = cc && typeof cc === 'object' ? (cc as { coding?: unknown }).coding : undefined;
    return Array.isArray(list) && list.length > 0 ? dart.map(list[0]) : undefined;
  };
  const category = Array.isArray(resource.category) ? first(resource.category[0]) : undefined;
  const note = Array.isArray(resource.note)
    ? (resource.note[0] as { text?: unknown } | undefined)
    : undefined;
  return {
    id: resource.id,
    condition:
      dart.stringOrNull(code?.text, 'code.text') ??
      dart.stringOrNull(coding?.display, 'code.coding[0].display') ??
      'Unknown Condition',
    conditionCode: dart.stringOrNull(coding?.code, 'code.coding[0].code'),
    codeSystem: dart.stringOrNull(coding?.system, 'code.coding[0].system'),
    severity: dart.stringOrNull(first(resource.severity)?.display, 'severity.coding[0].display') ?? 'Unknown',
    severityCode: dart.stringOrNull(first(resource.severity)?.code, 'severity.coding[0].code'),
    clinicalStatus:
      dart.stringOrNull(first(resource.clinicalStatus)?.display, 'clinicalStatus.coding[0].display') ??
      'Unknown',
    category: dart.stringOrNull(category?.display, 'category[0].coding[0].display') ?? 'Unknown',
    recordedDate: dart.stringOrNull(resource.recordedDate, 'recordedDate'),
    onsetDateTime: dart.stringOrNull(resource.onsetDateTime, 'onsetDateTime'),
    notes: dart.stringOrNull(note?.text, 'note[0].text'),
  };
}
