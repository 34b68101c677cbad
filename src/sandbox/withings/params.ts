// Parameter parsing for the Withings services: everything arrives as strings (query or form),
// and anything malformed is 503 "Invalid Params".

import { parseCivil } from '../lib/time.ts';
import { invalidParams } from './envelope.ts';
import type { Params } from './withings.types.ts';

type Form = Record<string, unknown>;

/** Flattens a parsed query or form (repeated keys keep the first value). */
export function flatten(raw: unknown): Params {
  const params: Params = {};
  if (!raw || typeof raw !== 'object') return params;
  for (const [key, value] of Object.entries(raw as Form)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined && first !== null) params[key] = String(first);
  }
  return params;
}

export function optionalInt(params: Params, name: string): number | undefined {
  const text = params[name];
  if (text === undefined || text === '') return undefined;
  if (!/^-?\d+$/.test(text)) throw invalidParams(name);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw invalidParams(name);
  return value;
}

export function requiredInt(params: Params, name: string): number {
  const value = optionalInt(params, name);
  if (value === undefined) throw invalidParams(name);
  return value;
}

export function optionalIntList(params: Params, name: string): number[] | undefined {
  const text = params[name];
  if (text === undefined || text === '') return undefined;
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) throw invalidParams(name);
  return parts.map(Number);
}

export function optionalYmd(params: Params, name: string): string | undefined {
  const text = params[name];
  if (text === undefined || text === '') return undefined;
  if (text.length !== 10 || parseCivil(text)?.hasTime !== false) throw invalidParams(name);
  return text;
}

/** `data_fields`: a comma list; undefined when absent. Unknown names are ignored (the sandbox's guess). */
export function dataFields(params: Params): Set<string> | undefined {
  const text = params.data_fields;
  if (text === undefined || text.trim() === '') return undefined;
  return new Set(
    text
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean),
  );
}

export function requiredString(params: Params, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw invalidParams(name);
  return value;
}
