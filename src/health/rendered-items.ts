/**
 * The health API's page answer as bytes, from stored rows, each item rendered once.
 *
 *   createItemRenderer({ maxBytes })               -> renderer (maxBytes 0: render every time, keep nothing)
 *   await renderer.page(keys, fetch, nextCursor, limit) -> { body: Buffer (the JSON answer), ids: string[] }
 *     keys: the page's [{ id, content_hash }] in order; fetch(ids): the stored rows of the ones not held
 *
 * An item is `JSON.stringify(toHealthObservation(resource))`: a pure function of the row's id and
 * stored JSON, so it is kept by id with the content_hash (the hash of exactly that JSON) it was
 * rendered from, and served only when the page's row has that hash: never stale.
 * Rows come only from the owner-filtered page query, so a cached item is only ever served to
 * whoever the query returned its row to.
 *
 * NOTE: measured (bench/api/README.md): JSON.parse, the transform and the schema serializer were a
 * third of the server's CPU per page; the page is now the cached items' bytes joined, and the page
 * query reads only ids and hashes, so PostgreSQL sends the stored JSON of missing items only. The output
 * is the same JSON the route schema describes (test/health/rendered-items.test.ts checks it
 * against the schema and against the transform).
 * Eviction is first-in first-out by bytes: cheap on every hit (no reordering), and a hot item
 * evicted is rendered again at the cost of an uncached one.
 */
import type { Observation } from '@medplum/fhirtypes';
import { toHealthObservation } from '../fhir/health-observation.ts';

export interface ItemKey {
  id: string;
  content_hash: string;
}

export interface RenderableRow extends ItemKey {
  /** The stored JSON (without id and version meta). */
  resource: string;
}

export type ItemRenderer = ReturnType<typeof createItemRenderer>;

/** Map entry overhead beyond the strings and bytes, roughly (entry, Buffer object). */
const ENTRY_OVERHEAD = 200;
/** A content hash: sha256 in base64url (src/fhir/store/resource-row.ts). */
const HASH_LENGTH = 43;
const COMMA = Buffer.from(',');
const OPEN = Buffer.from('{"items":[');

export function createItemRenderer(options: { maxBytes: number }) {
  const { maxBytes } = options;
  // By id, holding the hash it was rendered from (no id + hash key string to build per lookup).
  // item null: a row this API does not serve (e.g. a blood-pressure panel the app posted).
  const cache = new Map<string, { hash: string; item: Buffer | null }>();
  let bytes = 0;
  let hits = 0;
  let misses = 0;

  function render(row: RenderableRow): Buffer | null {
    const resource = JSON.parse(row.resource) as Observation;
    resource.id = row.id;
    const item = toHealthObservation(resource);
    return item ? Buffer.from(JSON.stringify(item)) : null;
  }

  /** Bytes an entry accounts for (the item, its two strings, the entry itself, roughly). */
  const sizeOf = (id: string, item: Buffer | null) =>
    (item?.length ?? 0) + 2 * (id.length + HASH_LENGTH) + ENTRY_OVERHEAD;

  function keep(row: ItemKey, item: Buffer | null): void {
    const size = sizeOf(row.id, item);
    if (size > maxBytes) return;
    const old = cache.get(row.id);
    // A newer version replaces the one held (its old rendering can never be asked for again).
    if (old) bytes -= sizeOf(row.id, old.item);
    cache.delete(row.id);
    cache.set(row.id, { hash: row.content_hash, item });
    bytes += size;
    if (bytes <= maxBytes) return;
    // Evict the oldest down to 90%, so a full cache does not evict on every miss.
    for (const [id, entry] of cache) {
      if (bytes <= maxBytes * 0.9) break;
      cache.delete(id);
      bytes -= sizeOf(id, entry.item);
    }
  }

  function held(row: ItemKey): Buffer | null | undefined {
    const entry = cache.get(row.id);
    return entry !== undefined && entry.hash === row.content_hash ? entry.item : undefined;
  }

  function renderAndKeep(row: RenderableRow): Buffer | null {
    const rendered = render(row);
    if (maxBytes > 0) keep(row, rendered);
    return rendered;
  }

  return {
    async page(
      keys: ItemKey[],
      fetch: (ids: string[]) => Promise<RenderableRow[]>,
      nextCursor: string | null,
      limit: number,
    ): Promise<{ body: Buffer; ids: string[] }> {
      const found = keys.map(held);
      const missing = keys.filter((_, i) => found[i] === undefined);
      misses += missing.length;
      hits += keys.length - missing.length;
      // A row changed or deleted since the page query: rendered as read now, or left out.
      const fetched = new Map(
        (missing.length > 0 ? await fetch(missing.map((k) => k.id)) : []).map((r) => [r.id, r]),
      );
      const parts: Buffer[] = [OPEN];
      const ids: string[] = [];
      for (const [i, key] of keys.entries()) {
        let rendered = found[i];
        if (rendered === undefined) {
          const row = fetched.get(key.id);
          rendered = row ? renderAndKeep(row) : null;
        }
        if (!rendered) continue;
        if (ids.length > 0) parts.push(COMMA);
        parts.push(rendered);
        ids.push(key.id);
      }
      parts.push(Buffer.from(`],"next_cursor":${JSON.stringify(nextCursor)},"limit":${limit}}`));
      return { body: Buffer.concat(parts), ids };
    },
    /** Entries and bytes held, and lookups so far (for tests and metrics). */
    stats(): { entries: number; bytes: number; hits: number; misses: number } {
      return { entries: cache.size, bytes, hits, misses };
    },
  };
}
