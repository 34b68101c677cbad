/**
 * Numeric rows set aside while an export is read, partitioned (by local month), taken back one
 * partition at a time: what keeps an import's memory independent of the file's size.
 *
 *   const s = fileSpill(dir)    // rows in DATA_DIR/imports/<id>.work/<partition>.bin (or memorySpill())
 *   s.append('act:2024-03', [kind, startMs, endMs, value, source, zone])   // in file order
 *   s.partitions()              -> ['act:2024-03', ...]
 *   s.read('act:2024-03')       -> Float64Array of the rows, in the order appended
 *   s.close()                   // buffers written, files closed (again: nothing); the caller removes the directory
 *
 * A file spill keeps a small buffer per partition and writes raw float64 rows (8 bytes a number).
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface Spill {
  append(partition: string, row: readonly number[]): void;
  partitions(): string[];
  read(partition: string): Float64Array;
  close(): void;
}

/** Numbers buffered per partition before they are written. */
const BUFFER_NUMBERS = 2_048;

export function fileSpill(dir: string): Spill {
  mkdirSync(dir, { recursive: true });
  const open = new Map<string, { fd: number; buffer: Float64Array; used: number; file: string }>();
  let n = 0;

  function flush(p: { fd: number; buffer: Float64Array; used: number }): void {
    if (p.used === 0) return;
    const bytes = new Uint8Array(p.buffer.buffer, 0, p.used * 8);
    let off = 0;
    while (off < bytes.length) off += writeSync(p.fd, bytes, off, bytes.length - off);
    p.used = 0;
  }

  return {
    append(partition, row) {
      let p = open.get(partition);
      if (!p) {
        // Partition names are ours ('act:2024-03'); the file is numbered, not named after them.
        const file = join(dir, `${n++}.bin`);
        p = { fd: openSync(file, 'w'), buffer: new Float64Array(BUFFER_NUMBERS), used: 0, file };
        open.set(partition, p);
      }
      if (p.used + row.length > p.buffer.length) flush(p);
      p.buffer.set(row, p.used);
      p.used += row.length;
    },
    partitions: () => [...open.keys()],
    read(partition) {
      const p = open.get(partition);
      if (!p) return new Float64Array(0);
      flush(p);
      const bytes = readFileSync(p.file);
      // A copy: the Buffer may sit at an offset that is not a multiple of 8.
      const out = new Float64Array(bytes.length / 8);
      new Uint8Array(out.buffer).set(bytes);
      return out;
    },
    close() {
      for (const p of open.values()) {
        if (p.fd < 0) continue;
        flush(p);
        closeSync(p.fd);
        p.fd = -1;
      }
    },
  };
}

/** The same in memory (tests, small files): no I/O. */
export function memorySpill(): Spill {
  const parts = new Map<string, { data: Float64Array; used: number }>();
  return {
    append(partition, row) {
      let p = parts.get(partition);
      if (!p) {
        p = { data: new Float64Array(1024), used: 0 };
        parts.set(partition, p);
      }
      if (p.used + row.length > p.data.length) {
        const next = new Float64Array(Math.max(p.data.length * 2, p.used + row.length));
        next.set(p.data.subarray(0, p.used));
        p.data = next;
      }
      p.data.set(row, p.used);
      p.used += row.length;
    },
    partitions: () => [...parts.keys()],
    read: (partition) => {
      const p = parts.get(partition);
      return p ? p.data.slice(0, p.used) : new Float64Array(0);
    },
    close() {},
  };
}
