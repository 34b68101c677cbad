import { request } from 'node:http';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, CHUNKS_FROM, ChunksBody } from '../../src/http/chunks-body.ts';

const chunks = () => [
  Buffer.from('{"items":['),
  Buffer.alloc(70_000, 'a'),
  Buffer.from(','),
  Buffer.from('1]}'),
];
const whole = Buffer.concat(chunks());

/** One GET or HEAD over a real socket, on a keep-alive agent the caller can reuse. */
function get(url: string, method = 'GET', agent?: import('node:http').Agent) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>(
    (resolve, reject) => {
      request(url, { method, agent }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
        );
      })
        .on('error', reject)
        .end();
    },
  );
}

describe('ChunksBody', () => {
  let app: FastifyInstance;
  let base: string;
  const responded: string[] = [];

  beforeAll(async () => {
    app = Fastify();
    app.addHook('onResponse', async (req) => {
      responded.push(req.url);
    });
    app.get('/page', async (_req, reply) => {
      const body = new ChunksBody(chunks());
      return reply.type('application/json').header('content-length', body.length).send(body);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => app?.close());

  it('sends exactly the chunks in order, with their length, and the lifecycle completes', async () => {
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 3; i += 1) {
      const res = await get(`${base}/page`, 'GET', agent);
      expect(res.status).toBe(200);
      expect(res.headers['content-length']).toBe(String(whole.length));
      expect(res.headers['transfer-encoding']).toBeUndefined();
      expect(res.body.equals(whole)).toBe(true);
    }
    agent.destroy();
    // onResponse hooks (audit, access log, metrics) run for every answer.
    await new Promise((r) => setTimeout(r, 20));
    expect(responded.filter((u) => u === '/page')).toHaveLength(3);
  });

  it('answers HEAD with the length and no body', async () => {
    const res = await get(`${base}/page`, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(whole.length));
    expect(res.body.length).toBe(0);
  });

  it('piped, writes everything at once, ends the destination unless told not to, and ends itself', async () => {
    const body = new ChunksBody(chunks());
    expect(body.length).toBe(whole.length);
    const out = new PassThrough();
    body.pipe(out);
    await finished(body);
    expect(body.readableEnded).toBe(true);
    expect(Buffer.concat(await out.toArray()).equals(whole)).toBe(true);

    const open = new PassThrough();
    const again = new ChunksBody(chunks());
    again.pipe(open, { end: false });
    await finished(again);
    expect(open.writableEnded).toBe(false);
    open.end();
    expect(Buffer.concat(await open.toArray()).equals(whole)).toBe(true);
  });

  it('read as a plain stream, gives the same chunks', async () => {
    expect(Buffer.concat(await new ChunksBody(chunks()).toArray()).equals(whole)).toBe(true);
    expect(await new ChunksBody([]).toArray()).toEqual([]);
  });
});

describe('bodyOf', () => {
  it('joins an answer under CHUNKS_FROM bytes, sends a larger one as chunks; the bytes are the same', async () => {
    const small = [Buffer.from('ab'), Buffer.alloc(CHUNKS_FROM - 3, 'c')];
    const joined = bodyOf(small);
    expect(Buffer.isBuffer(joined)).toBe(true);
    expect((joined as Buffer).equals(Buffer.concat(small))).toBe(true);
    const large = [...small, Buffer.from('d')];
    const body = bodyOf(large);
    expect(body).toBeInstanceOf(ChunksBody);
    expect(body.length).toBe(CHUNKS_FROM);
    expect(Buffer.concat(await (body as ChunksBody).toArray()).equals(Buffer.concat(large))).toBe(true);
  });
});
