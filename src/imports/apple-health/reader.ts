/**
 * An uploaded file -> the `<Record>`s of its export.xml, streamed in bounded memory.
 *
 *   readExport(path, { onRecord, onProgress, signal }) -> { records }   (throws ExportFormatError)
 *
 * The file is an `export.zip` (the XML entry is found by sniffing, whatever its localised name:
 * export.xml, Export.xml, vienti.xml, 导出.xml; `*_cda.xml` is skipped) or a bare export.xml.
 * `yauzl` reads the zip's central directory (random access: the upload is on disk) and inflates
 * the one entry; `saxes` parses it strictly. C0 control characters that XML 1.0 forbids (U+000B
 * seen in iOS 16 exports) are removed before parsing; the internal DTD subset, broken in iOS 16
 * exports, is not interpreted by saxes. A file that ends before `</HealthData>` fails.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { SaxesParser } from 'saxes';
import yauzl from 'yauzl';
import type { RawRecord } from './records.ts';

export class ExportFormatError extends Error {
  override name = 'ExportFormatError';
}

/** NOTE: a guard against zip bombs: the XML inflated past this is refused (real exports reach a few GB). */
export const MAX_XML_BYTES = 64 * 1024 ** 3;

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing these characters is the point.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g;
const SNIFF_BYTES = 4096;

export interface ReadOptions {
  onRecord: (record: RawRecord) => void;
  /** Share of the input read, 0..1; called once per chunk. */
  onProgress?: (fraction: number) => void | Promise<void>;
  signal?: AbortSignal;
}

export async function readExport(path: string, options: ReadOptions): Promise<{ records: number }> {
  const head = await readHead(path, 4);
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b) return readZip(path, options);
  const { size } = await stat(path);
  return parseXml(createReadStream(path, { highWaterMark: 1 << 20 }), size, options);
}

async function readHead(path: string, bytes: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await file.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

async function readZip(path: string, options: ReadOptions): Promise<{ records: number }> {
  const zip = await openZip(path);
  try {
    const entries = await listEntries(zip);
    const candidates = entries.filter(
      (e) => /^([^/]+\/)?[^/]+\.xml$/i.test(e.fileName) && !/_cda\.xml$/i.test(e.fileName),
    );
    for (const entry of candidates) {
      if (!(await looksLikeExport(zip, entry))) continue;
      return await parseXml(await openEntry(zip, entry), entry.uncompressedSize, options);
    }
    throw new ExportFormatError('the zip holds no Apple Health export.xml');
  } finally {
    zip.close();
  }
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, zip) =>
      err || !zip
        ? reject(new ExportFormatError(`not a readable zip: ${err?.message ?? 'empty'}`))
        : resolve(zip),
    ),
  );
}

function listEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const out: yauzl.Entry[] = [];
    zip.on('entry', (e: yauzl.Entry) => {
      out.push(e);
      zip.readEntry();
    });
    zip.on('end', () => resolve(out));
    zip.on('error', (err: Error) => reject(new ExportFormatError(`not a readable zip: ${err.message}`)));
    zip.readEntry();
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (err, stream) =>
      err || !stream
        ? reject(new ExportFormatError(`zip entry unreadable: ${err?.message ?? ''}`))
        : resolve(stream),
    ),
  );
}

/** The entry's first bytes name the HealthData root (or its DOCTYPE). */
async function looksLikeExport(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<boolean> {
  const stream = await openEntry(zip, entry);
  let head = '';
  try {
    for await (const chunk of stream) {
      head += (chunk as Buffer).toString('utf8');
      if (head.length >= SNIFF_BYTES) break;
    }
  } catch {
    return false;
  } finally {
    stream.destroy();
  }
  return /<!DOCTYPE HealthData|<HealthData[\s>]/.test(head);
}

async function parseXml(input: Readable, total: number, options: ReadOptions): Promise<{ records: number }> {
  const parser = new SaxesParser({ position: false });
  let current: RawRecord | undefined;
  let depth = 0;
  let rootSeen = false;
  let rootClosed = false;
  let records = 0;
  let failure: Error | undefined;
  parser.on('error', (err) => {
    failure ??= new ExportFormatError(`export.xml is not well-formed XML: ${err.message}`);
  });
  parser.on('opentag', (tag) => {
    depth++;
    if (depth === 1) {
      if (tag.name !== 'HealthData')
        failure ??= new ExportFormatError(`not an Apple Health export: root <${tag.name}>`);
      rootSeen = true;
      return;
    }
    const a = tag.attributes as Record<string, string>;
    if (tag.name === 'Record') {
      current = {
        type: a.type ?? '',
        sourceName: a.sourceName ?? '',
        device: a.device,
        unit: a.unit,
        value: a.value,
        creationDate: a.creationDate,
        startDate: a.startDate,
        endDate: a.endDate,
        meta: {},
      };
    } else if (tag.name === 'MetadataEntry' && current && a.key !== undefined) {
      current.meta[a.key] = a.value ?? '';
    }
  });
  parser.on('closetag', (tag) => {
    depth--;
    if (tag.name === 'Record' && current) {
      records++;
      const done = current;
      current = undefined;
      options.onRecord(done);
    } else if (depth === 0 && tag.name === 'HealthData') {
      rootClosed = true;
    }
  });

  const decoder = new StringDecoder('utf8');
  let read = 0;
  for await (const chunk of input) {
    options.signal?.throwIfAborted();
    const bytes = chunk as Buffer;
    read += bytes.length;
    if (read > MAX_XML_BYTES) throw new ExportFormatError('export.xml is larger than the importer accepts');
    parser.write(decoder.write(bytes).replace(CONTROL, ''));
    if (failure) {
      input.destroy();
      throw failure;
    }
    await options.onProgress?.(total > 0 ? Math.min(1, read / total) : 0);
  }
  parser.write(decoder.end().replace(CONTROL, ''));
  if (!failure) parser.close();
  if (failure) throw failure;
  if (!rootSeen) throw new ExportFormatError('not an Apple Health export: no <HealthData>');
  if (!rootClosed) throw new ExportFormatError('export.xml ends before </HealthData> (truncated)');
  return { records };
}
