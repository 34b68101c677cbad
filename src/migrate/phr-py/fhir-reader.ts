/**
 * Paged reads from the original backend's FHIR server (HAPI), following each searchset Bundle's
 * `next` link; one page in memory at a time.
 *
 *   readResources(source, 'Observation', patientId) -> async iterable of pages (resources)
 *
 * NOTE: HAPI's `next` links point at its own base URL, which may be an internal host name; the
 * path and query are kept and sent to the base the migration was given.
 */
import type { Bundle, Resource } from '@medplum/fhirtypes';

export interface FhirSource {
  baseUrl: string;
  token?: string | undefined;
  fetch?: typeof fetch;
  pageSize?: number;
  /** Per request, in ms (default 60 s). */
  timeoutMs?: number;
}

export async function* readResources<T extends Resource>(
  source: FhirSource,
  type: 'Observation' | 'Condition',
  patientId: string,
): AsyncGenerator<T[]> {
  const base = source.baseUrl.replace(/\/+$/, '');
  const first = new URL(`${base}/${type}`);
  first.searchParams.set('subject', `Patient/${patientId}`);
  first.searchParams.set('_count', String(source.pageSize ?? 1000));
  let next: string | undefined = first.toString();
  const seen = new Set<string>();
  while (next) {
    if (seen.has(next)) throw new Error(`FHIR paging loops at ${redact(next)}`);
    seen.add(next);
    const bundle = await getBundle(source, next);
    const resources = (bundle.entry ?? [])
      .map((e) => e.resource)
      .filter((r): r is T => r?.resourceType === type);
    if (resources.length > 0) yield resources;
    const link = bundle.link?.find((l) => l.relation === 'next')?.url;
    next = link ? rebase(link, base) : undefined;
  }
}

async function getBundle(source: FhirSource, url: string): Promise<Bundle> {
  const doFetch = source.fetch ?? globalThis.fetch;
  for (let attempt = 1; ; attempt++) {
    const res = await doFetch(url, {
      headers: {
        accept: 'application/fhir+json',
        ...(source.token ? { authorization: `Bearer ${source.token}` } : {}),
      },
      signal: AbortSignal.timeout(source.timeoutMs ?? 60_000),
    });
    if (res.ok) {
      const body = (await res.json()) as Bundle;
      if (body.resourceType !== 'Bundle') throw new Error(`not a Bundle from ${redact(url)}`);
      return body;
    }
    await res.body?.cancel();
    // Transient answers are retried a few times with a growing pause; anything else stops the run.
    if ((res.status === 429 || res.status >= 500) && attempt < 4) {
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      continue;
    }
    throw new Error(`FHIR server answered ${res.status} for ${redact(url)}`);
  }
}

/** `next` resolved against the base we were given (same path below the base). */
function rebase(link: string, base: string): string {
  const target = new URL(link, `${base}/`);
  const given = new URL(base);
  if (target.origin === given.origin) return target.toString();
  target.protocol = given.protocol;
  target.host = given.host;
  return target.toString();
}

/** URLs in messages without their query (it names patients). */
function redact(url: string): string {
  return url.split('?')[0] ?? url;
}
