import { describe, expect, it } from 'vitest';
import { acceptsGzip } from '../../src/http/accept-encoding.ts';

describe('acceptsGzip', () => {
  it.each([
    ['gzip', true],
    ['gzip, deflate, br, zstd', true], // browsers
    ['GZip', true],
    ['x-gzip', true],
    ['br;q=1.0, gzip;q=0.8, *;q=0.1', true],
    ['gzip;q=0', false],
    ['gzip; q=0.000', false],
    ['*', true],
    ['*;q=0', false],
    ['gzip;q=0, *', false], // gzip refused by name, whatever * says
    ['identity', false],
    ['br', false],
    ['', false],
    [undefined, false],
    [['deflate', 'gzip'], true],
  ] as const)('%j -> %s', (header, expected) => {
    expect(acceptsGzip(header as string | string[] | undefined)).toBe(expected);
  });
});
