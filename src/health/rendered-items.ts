/**
 * The health API's page answer, from stored rows, each item rendered once.
 *
 *   createItemRenderer({ maxBytes })              -> renderer (maxBytes 0: render every time, keep nothing)
 *   await renderer.page(keys, fetch, nextCursor, limit) -> RenderedPage { ids, chunks(coding) }
 *     keys: the page's [{ id, content_hash }] in order; fetch(ids): the stored rows of the ones not held
 *   page.chunks('identity' | 'gzip')             -> Buffer[]: the JSON answer in order, as is or
 *     gzip-encoded from each item's deflated part (src/http/gzip-parts.ts), made once and kept beside it
 *   renderer.stats()                             -> { entries, bytes, hits, misses, evictions } (src/ops/metrics.ts)
 *
 * The page is data to the service; only the HTTP edge (src/http/rendered-page.ts) asks it for bytes.
 * An item is `JSON.stringify(toHealthObservation(resource))`: a pure function of the row's id and
 * stored JSON, so it is kept by id with the content_hash (the hash of exactly that JSON) it was
 * rendered from, and served only when the page's row has that hash: never stale.
 * Rows come only from the owner-filtered page query, so a cached item is only ever served to
 * whoever the query returned its row to.
 *
 * Why: parsing, transforming and serializing every item per page cost the server's CPU
 * (bench/api/README.md); the page query reads only ids and hashes, so PostgreSQL sends the stored
 * JSON of missing items only. The output is the same JSON the route schema describes
 * (test/health/rendered-items.test.ts checks it against the schema and against the transform).
 * Eviction is first-in first-out by bytes: cheap on every hit (no reordering), and a hot item
 * evicted is rendered again at the cost of an uncached one.
 */
import type { Observation } from '@medplum/fhirtypes';
import { toHealthObservation } from '../fhir/health-observation.ts';
import type { ObservationKey } from '../fhir/store/observation-filter.ts';
import type { ContentCoding } from '../http/accept-encoding.ts';
import { type DeflatedPart, deflatedPart, gzipOf, storedPart } from '../http/gzip-parts.ts';
import type { RenderedBody } from '../http/rendered-page.ts';

export interface RenderableRow extends ObservationKey {
  /** The stored JSON (without id and version meta). */
  resource: string;
}

export type ItemRenderer = ReturnType<typeof createItemRenderer>;

interface Entry {
  hash: string;
  /** null: a row this API does not serve (e.g. a blood-pressure panel the app posted). */
  item: Buffer | null;
  /** The item deflated, made the first time a gzip answer needs it. */
  part?: DeflatedPart;
}

type Served = Entry & { item: Buffer };

/** Map entry overhead beyond the strings and bytes, roughly (entry, Buffer objects). */
const ENTRY_OVERHEAD = 200;
/** A content hash: sha256 in base64url (src/fhir/store/resource-row.ts). */
const HASH_LENGTH = 43;
const COMMA = Buffer.from(',');
const OPEN = Buffer.from('{"items":[');
const COMMA_PART = storedPart(COMMA);
const OPEN_PART = storedPart(OPEN);

export function createItemRenderer(options: { maxBytes: number }) {
  const { maxBytes } = options;
  // By id, holding the hash it was rendered from (no id + hash key string to build per lookup).
  const cache = new Map<string, Entry>();
  let bytes = 0;
  let hits = 0;
  let misses = 0;
  let evictions = 0;

  function render(row: RenderableRow): Entry {
    const resource = JSON.parse(row.resource) as Observation;
    resource.id = row.id;
    const item = toHealthObservation(resource);
    return { hash: row.content_hash, item: item ? Buffer.from(JSON.stringify(item)) : null };
  }

  /** Bytes an entry accounts for (the item, its deflated part, its two strings, the entry, roughly). */
  const sizeOf = (id: string, entry: Entry) =>
    (entry.item?.length ?? 0) +
    (entry.part?.deflated.length ?? 0) +
    2 * (id.length + HASH_LENGTH) +
    ENTRY_OVERHEAD;

  function keep(id: string, entry: Entry): void {
    if (maxBytes === 0 || sizeOf(id, entry) > maxBytes) return;
    const old = cache.get(id);
    // A newer version replaces the one held (its old rendering can never be asked for again).
    if (old) bytes -= sizeOf(id, old);
    cache.delete(id);
    cache.set(id, entry);
    bytes += sizeOf(id, entry);
    evict();
  }

  /** Evicts the oldest down to 90% once over budget, so a full cache does not evict on every miss. */
  function evict(): void {
    if (bytes <= maxBytes) return;
    for (const [id, entry] of cache) {
      if (bytes <= maxBytes * 0.9) break;
      cache.delete(id);
      bytes -= sizeOf(id, entry);
      evictions += 1;
    }
  }

  function held(row: ObservationKey): Entry | undefined {
    const entry = cache.get(row.id);
    return entry !== undefined && entry.hash === row.content_hash ? entry : undefined;
  }

  function partOf(id: string, entry: Served): DeflatedPart {
    if (entry.part) return entry.part;
    entry.part = deflatedPart(entry.item);
    if (cache.get(id) === entry) {
      bytes += entry.part.deflated.length;
      evict();
    }
    return entry.part;
  }

  return {
    /** The page's items (rendered or held) and the ids it lists (in order); bytes on demand. */
    async page(
      keys: ObservationKey[],
      fetch: (ids: string[]) => Promise<RenderableRow[]>,
      nextCursor: string | null,
      limit: number,
    ): Promise<RenderedPage> {
      const found = keys.map(held);
      const missing = keys.filter((_, i) => found[i] === undefined);
      misses += missing.length;
      hits += keys.length - missing.length;
      // A row changed or deleted since the page query: rendered as read now, or left out.
      const fetched = new Map(
        (missing.length > 0 ? await fetch(missing.map((k) => k.id)) : []).map((r) => [r.id, r]),
      );
      const ids: string[] = [];
      const served: Served[] = [];
      for (const [i, key] of keys.entries()) {
        let entry = found[i];
        if (entry === undefined) {
          const row = fetched.get(key.id);
          if (!row) continue;
          entry = render(row);
          keep(row.id, entry);
        }
        if (!entry.item) continue;
        ids.push(key.id);
        served.push(entry as Served);
      }
      return new RenderedPage(ids, served, nextCursor, limit, partOf);
    },
    /** Entries and bytes held, and lookups and evictions so far (for tests and metrics). */
    stats(): ItemCacheStats {
      return { entries: cache.size, bytes, hits, misses, evictions };
    },
  };
}

export interface ItemCacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
  evictions: number;
}

/** A page answer as data: its ids, and its bytes in either coding when the HTTP edge asks. */
export class RenderedPage implements RenderedBody {
  readonly ids: string[];
  readonly #served: Served[];
  readonly #nextCursor: string | null;
  readonly #limit: number;
  readonly #partOf: (id: string, entry: Served) => DeflatedPart;

  constructor(
    ids: string[],
    served: Served[],
    nextCursor: string | null,
    limit: number,
    partOf: (id: string, entry: Served) => DeflatedPart,
  ) {
    this.ids = ids;
    this.#served = served;
    this.#nextCursor = nextCursor;
    this.#limit = limit;
    this.#partOf = partOf;
  }

  /** The JSON answer as chunks to send in order: the cached items themselves, never joined here. */
  chunks(coding: ContentCoding): Buffer[] {
    const close = Buffer.from(`],"next_cursor":${JSON.stringify(this.#nextCursor)},"limit":${this.#limit}}`);
    if (coding === 'identity') {
      const parts = listOf(
        this.#served.map((e) => e.item),
        OPEN,
        COMMA,
      );
      parts.push(close);
      return parts;
    }
    const parts = this.#served.map((entry, i) => this.#partOf(this.ids[i] as string, entry));
    return gzipOf(listOf(parts, OPEN_PART, COMMA_PART), close);
  }
}

/** `open`, then the items with `comma` between them. */
function listOf<T>(items: T[], open: T, comma: T): T[] {
  const parts: T[] = [open];
  for (const [i, item] of items.entries()) {
    if (i > 0) parts.push(comma);
    parts.push(item);
  }
  return parts;
}
