// What a data action receives: the caller (person, client, scopes), its parameters and the context.

import type { PersonProfile } from '../../people/model.ts';
import type { WithingsContext } from '../context.ts';
import type { Params } from '../withings.types.ts';

export type Json = Record<string, unknown>;

export interface Call {
  ctx: WithingsContext;
  params: Params;
  person: PersonProfile;
  clientId: string;
  scopes: string[];
}

export interface DataAction {
  /** The scope the call needs; absent when any token of the user will do (notify list/get/revoke). */
  scope?: string;
  run(call: Call): Json | Promise<Json>;
}

/** Page `items` from `offset`; `size` rows at most. */
export function page<T>(items: T[], offset: number, size: number): { rows: T[]; more: boolean } {
  return { rows: items.slice(offset, offset + size), more: offset + size < items.length };
}
