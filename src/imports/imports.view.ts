import type { ImportRow } from './imports.repository.ts';

/** GET /imports/{id}: an import as the API shows it (docs/api.md "Imports"). */
export interface ImportView {
  id: string;
  kind: string;
  status: ImportRow['status'];
  progress: number;
  bytes: number;
  records_read: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: Record<string, number>;
  by_type: Record<string, number>;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
}

export function toImportView(row: ImportRow): ImportView {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    progress: Math.round(Number(row.progress) * 1000) / 1000,
    bytes: Number(row.bytes),
    records_read: row.records_read,
    created: row.created,
    updated: row.updated,
    unchanged: row.unchanged,
    skipped: JSON.parse(row.skipped) as Record<string, number>,
    by_type: JSON.parse(row.by_type) as Record<string, number>,
    created_at: row.created_at.toISOString(),
    started_at: row.started_at?.toISOString() ?? null,
    finished_at: row.finished_at?.toISOString() ?? null,
    error: row.error,
  };
}
