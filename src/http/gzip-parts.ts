/**
 * A gzip answer assembled from parts deflated beforehand (RFC 1951 / 1952), so an answer made of
 * cached pieces is compressed without compressing anything per request.
 *
 *   deflatedPart(raw)            -> part: raw deflate of `raw` ending byte-aligned (a sync flush), its CRC-32
 *   storedPart(raw)              -> part: `raw` as an uncompressed deflate block (for a few bytes)
 *   gzipOf(parts, last)          -> Buffer[]: gzip header, the parts in order, `last` stored as the final block,
 *                                   trailer (CRC-32 and length of everything the parts stand for); the
 *                                   chunks of one gzip stream, sent as they are (src/http/chunks-body.ts)
 *
 * Each part is compressed on its own (no back-references into the one before), and a sync flush
 * leaves it non-final and byte-aligned, so parts concatenate into one valid deflate stream. The
 * CRC-32 of the whole is combined from the parts' own (`crc32Combine`, as zlib's): the
 * uncompressed bytes are not read again.
 * Why: compressing the whole answer per request compresses better but costs CPU on every answer;
 * parts deflated once compress a little worse and cost nothing per request (bench/api/README.md).
 */
import { constants, crc32, deflateRawSync } from 'node:zlib';

export interface DeflatedPart {
  /** Deflate blocks, not final, ending on a byte boundary. */
  deflated: Buffer;
  /** Length and CRC-32 of the bytes they decompress to. */
  length: number;
  crc: number;
  /** x^(8 * length) mod the CRC polynomial: what combining a CRC before this part needs. */
  shift: number;
}

/** Level 6 (zlib's default): a part is deflated once and kept, so the slower level costs once. */
export function deflatedPart(raw: Buffer, level = 6): DeflatedPart {
  const deflated = deflateRawSync(raw, { level, finishFlush: constants.Z_SYNC_FLUSH });
  return { deflated, length: raw.length, crc: crc32(raw), shift: shiftOf(raw.length) };
}

export function storedPart(raw: Buffer): DeflatedPart {
  return {
    deflated: storedBlock(raw, false),
    length: raw.length,
    crc: crc32(raw),
    shift: shiftOf(raw.length),
  };
}

// ID1 ID2, CM deflate, no flags, no mtime, no extra flags, OS unknown.
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);

export function gzipOf(parts: readonly DeflatedPart[], last: Buffer): Buffer[] {
  let crc = 0;
  let length = 0;
  const chunks: Buffer[] = [HEADER];
  for (const part of parts) {
    chunks.push(part.deflated);
    crc = combine(crc, part.crc, part.shift);
    length += part.length;
  }
  const final = storedBlock(last, true);
  crc = combine(crc, crc32(last), shiftOf(last.length));
  length += last.length;
  const trailer = Buffer.allocUnsafe(8);
  trailer.writeUInt32LE(crc, 0);
  trailer.writeUInt32LE(length % 2 ** 32, 4);
  chunks.push(final, trailer);
  return chunks;
}

/** One stored block (BTYPE 00): header bits, padding to the byte, LEN, NLEN, the bytes. */
function storedBlock(raw: Buffer, final: boolean): Buffer {
  if (raw.length > 0xffff) throw new RangeError('a stored block holds at most 65,535 bytes');
  const block = Buffer.allocUnsafe(5 + raw.length);
  block[0] = final ? 1 : 0;
  block.writeUInt16LE(raw.length, 1);
  block.writeUInt16LE(~raw.length & 0xffff, 3);
  raw.copy(block, 5);
  return block;
}

// CRC-32 combination, as zlib's crc32_combine: CRC(A + B) = CRC(A) * x^(8 |B|) + CRC(B) over GF(2),
// in the reflected bit order zlib uses (x^0 is the top bit).
const POLY = 0xedb88320;

/** a * b modulo the polynomial. */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  let x = b;
  for (;;) {
    if (a & m) {
      p ^= x;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    x = x & 1 ? (x >>> 1) ^ POLY : x >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) mod P for k = 0..31. */
const X2N: number[] = [0x40000000];
for (let k = 1; k < 32; k += 1) X2N.push(multModP(X2N[k - 1] as number, X2N[k - 1] as number));

/** x^(8 n) mod P: the operator that moves a CRC past n bytes. */
function shiftOf(bytes: number): number {
  let p = 0x80000000;
  let n = bytes;
  for (let k = 3; n > 0; k += 1, n = Math.floor(n / 2)) {
    if (n % 2 === 1) p = multModP(X2N[k % 32] as number, p);
  }
  return p;
}

/** CRC-32 of A then B, from CRC(A), CRC(B) and B's shift. */
function combine(crcA: number, crcB: number, shiftB: number): number {
  return (multModP(shiftB, crcA) ^ crcB) >>> 0;
}

export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return combine(crcA, crcB, shiftOf(lengthB));
}
