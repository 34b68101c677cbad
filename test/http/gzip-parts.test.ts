import { crc32, gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32Combine, deflatedPart, gzipOf, storedPart } from '../../src/http/gzip-parts.ts';

const bytes = fc.uint8Array({ maxLength: 3_000 }).map((a) => Buffer.from(a));
// Text that compresses (repeats), beside random bytes that do not.
const text = fc
  .tuple(fc.string({ maxLength: 40 }), fc.nat({ max: 80 }))
  .map(([s, n]) => Buffer.from(s.repeat(n)));
const chunk = fc.oneof(bytes, text);

describe('crc32Combine', () => {
  it('is the CRC-32 of the two byte strings one after the other', () => {
    fc.assert(
      fc.property(chunk, chunk, (a, b) => {
        expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(Buffer.concat([a, b])));
      }),
    );
  });
});

describe('gzipOf', () => {
  it('decompresses (gunzip checks CRC and length) to the parts then the last bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), chunk), { maxLength: 12 }), chunk, (pieces, last) => {
        const parts = pieces.map(([stored, raw]) => (stored ? storedPart(raw) : deflatedPart(raw)));
        const body = Buffer.concat(gzipOf(parts, last));
        expect(gunzipSync(body)).toEqual(Buffer.concat([...pieces.map(([, raw]) => raw), last]));
      }),
      { numRuns: 200 },
    );
  });

  it('compresses what repeats, and a part can be used in any number of answers', () => {
    const item = deflatedPart(Buffer.from(JSON.stringify(Array(100).fill({ value: 72, unit: '/min' }))));
    expect(item.deflated.length).toBeLessThan(item.length / 10);
    const comma = storedPart(Buffer.from(','));
    const body = Buffer.concat(gzipOf([storedPart(Buffer.from('[')), item, comma, item], Buffer.from(']')));
    const answer = JSON.parse(gunzipSync(body).toString()) as unknown[][];
    expect(answer.map((a) => a.length)).toEqual([100, 100]);
  });

  it('refuses a last block a stored block cannot hold', () => {
    expect(() => gzipOf([], Buffer.alloc(70_000))).toThrow(RangeError);
  });
});
