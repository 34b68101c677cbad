/**
 * Outbox rows -> one FHIR transaction Bundle (pure).
 *
 *   Observation put    -> PUT Observation?identifier=system|value   (conditional update, idempotent)
 *   Observation delete -> DELETE Observation?identifier=system|value (conditional delete)
 *   Patient / Device   -> PUT / DELETE <Type>/<id>                  (update-as-create with our id, so
 *                                                                     Observation references resolve)
 * The body leaves out meta.versionId / meta.lastUpdated (the target versions it itself), and the
 * id of a conditionally updated resource (R4 http.html: a differing body id is a 400).
 */
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import type { OutboxRow } from '../store/replication-outbox.repository.ts';

/** R4 search.html "Escaping search parameters": `\`, `|`, `,` and `$` in a token value. */
function escapeTokenPart(value: string): string {
  return value.replace(/[\\|,$]/g, (c) => `\\${c}`);
}

function conditionalUrl(resourceType: string, identifier: string): string {
  const bar = identifier.indexOf('|');
  const system = identifier.slice(0, bar);
  const value = identifier.slice(bar + 1);
  return `${resourceType}?identifier=${encodeURIComponent(system)}|${encodeURIComponent(escapeTokenPart(value))}`;
}

const ORDER: Record<string, number> = { Patient: 0, Device: 1, Observation: 2 };

/** `resources` maps `Type/id` to the current stored resource of every `put` row. */
export function toTransactionBundle(rows: OutboxRow[], resources: Map<string, Resource>): Bundle {
  const sorted = [...rows].sort((a, b) => (ORDER[a.resource_type] ?? 3) - (ORDER[b.resource_type] ?? 3));
  const entry: BundleEntry[] = [];
  for (const row of sorted) {
    const byIdentifier = row.resource_type === 'Observation' && row.identifier !== null;
    const url = byIdentifier
      ? conditionalUrl(row.resource_type, row.identifier!)
      : `${row.resource_type}/${row.resource_id}`;
    const current =
      row.action === 'put' ? resources.get(`${row.resource_type}/${row.resource_id}`) : undefined;
    if (!current) {
      entry.push({ request: { method: 'DELETE', url } });
      continue;
    }
    const { versionId: _v, lastUpdated: _l, ...meta } = current.meta ?? {};
    const body = { ...current, meta } as Resource;
    if (Object.keys(meta).length === 0) delete body.meta;
    if (byIdentifier) delete body.id;
    entry.push({
      resource: body,
      request: { method: 'PUT', url },
    });
  }
  return { resourceType: 'Bundle', type: 'transaction', entry };
}
