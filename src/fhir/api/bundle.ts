/**
 * searchset Bundles (pure).
 *
 *   searchsetBundle({ base, path, used, entries, next, total, ignored, now }) -> Bundle
 *
 * `self` repeats the parameters actually used (R4 http.html paging); `next` adds the opaque
 * `_cursor`. Ignored parameters come back as an OperationOutcome entry with search.mode=outcome.
 */
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { outcome } from './outcome.ts';

export interface SearchsetInput {
  /** Absolute FHIR base, e.g. https://api.example/fhir/R4. */
  base: string;
  resourceType: string;
  used: [string, string][];
  resources: Resource[];
  nextCursor: string | undefined;
  total: number | undefined;
  ignored: string[];
  notes?: string[];
  now: Date;
}

export function searchsetBundle(input: SearchsetInput): Bundle {
  const url = (extra: [string, string][] = []) => {
    const qs = new URLSearchParams([...input.used, ...extra]).toString();
    return `${input.base}/${input.resourceType}${qs ? `?${qs}` : ''}`;
  };
  const link: Bundle['link'] = [{ relation: 'self', url: url() }];
  if (input.nextCursor) link.push({ relation: 'next', url: url([['_cursor', input.nextCursor]]) });
  const entry: BundleEntry[] = input.resources.map((resource) => ({
    fullUrl: `${input.base}/${resource.resourceType}/${resource.id}`,
    resource,
    search: { mode: 'match' },
  }));
  const messages = [
    ...(input.ignored.length > 0 ? [`Parameters not supported, ignored: ${input.ignored.join(', ')}`] : []),
    ...(input.notes ?? []),
  ];
  if (messages.length > 0) {
    const oo = outcome('warning', 'not-supported', messages.join('; '));
    oo.issue = messages.map((text) => ({
      severity: 'warning',
      code: text.startsWith('Parameters') ? 'not-supported' : 'not-found',
      details: { text },
    }));
    entry.push({ resource: oo, search: { mode: 'outcome' } });
  }
  return {
    resourceType: 'Bundle',
    meta: { lastUpdated: input.now.toISOString() },
    type: 'searchset',
    ...(input.total !== undefined ? { total: input.total } : {}),
    link,
    ...(entry.length > 0 ? { entry } : {}),
  };
}
