/**
 * The one HTTP edge for answers rendered in advance (src/http/rendered-page.ts): coding, Vary,
 * content-length, the chunks body and the audit ids, whatever page object hands over the bytes.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentCoding } from '../../src/http/accept-encoding.ts';
import { CHUNKS_FROM } from '../../src/http/chunks-body.ts';
import { type RenderedBody, sendRenderedPage } from '../../src/http/rendered-page.ts';

/** A page whose JSON is `json` split in two chunks; it records which codings were asked for. */
function pageOf(json: string, ids: string[]): RenderedBody & { asked: ContentCoding[] } {
  const asked: ContentCoding[] = [];
  const bytes = Buffer.from(json);
  return {
    ids,
    asked,
    chunks(coding) {
      asked.push(coding);
      if (coding === 'gzip') return [gzipSync(bytes)];
      const half = Math.floor(bytes.length / 2);
      return [bytes.subarray(0, half), bytes.subarray(half)];
    },
  };
}

const small = JSON.stringify({ items: [{ id: 'a' }, { id: 'b' }], next_cursor: null, limit: 2 });
const large = JSON.stringify({ items: [{ id: 'x'.repeat(CHUNKS_FROM) }], next_cursor: null, limit: 1 });
const app = Fastify();
const seen: { auditIds: string[] | null }[] = [];
const pages: ReturnType<typeof pageOf>[] = [];

beforeAll(async () => {
  app.decorateRequest('auditIds', null);
  app.addHook('onRequest', async (req, reply) => {
    if (req.headers.origin) reply.header('vary', 'Origin');
  });
  app.addHook('onResponse', async (req) => {
    seen.push({ auditIds: req.auditIds });
  });
  app.get<{ Querystring: { size?: string } }>('/page', async (req, reply) => {
    const page = pageOf(req.query.size === 'large' ? large : small, ['a', 'b']);
    pages.push(page);
    return sendRenderedPage(reply, page);
  });
  await app.ready();
});
afterAll(async () => app.close());

describe('sendRenderedPage', () => {
  it('sends the page as JSON with its length, and hands its ids to the audit trail', async () => {
    const res = await app.inject({ url: '/page' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers.vary).toBe('accept-encoding');
    expect(res.body).toBe(small);
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(small)));
    expect(pages.at(-1)?.asked).toEqual(['identity']);
    expect(seen.at(-1)?.auditIds).toEqual(['a', 'b']);
  });

  it('asks the page for gzip when the request accepts it, and appends to an earlier Vary', async () => {
    const res = await app.inject({
      url: '/page',
      headers: { 'accept-encoding': 'gzip', origin: 'https://x' },
    });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers.vary).toBe('Origin, accept-encoding');
    expect(Number(res.headers['content-length'])).toBe(res.rawPayload.length);
    expect(gunzipSync(res.rawPayload).toString()).toBe(small);
    expect(pages.at(-1)?.asked).toEqual(['gzip']);
    const refused = await app.inject({ url: '/page', headers: { 'accept-encoding': 'gzip;q=0' } });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body).toBe(small);
  });

  it('sends a large page as its chunks with the total length; HEAD gets the length only', async () => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${address}/page?size=large`, { headers: { 'accept-encoding': 'identity' } });
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.toString()).toBe(large);
    expect(res.headers.get('content-length')).toBe(String(bytes.length));
    const head = await fetch(`${address}/page?size=large`, {
      method: 'HEAD',
      headers: { 'accept-encoding': 'identity' },
    });
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });
});
