/**
 * A response body made of Buffers already in memory, sent as they are: never joined into one.
 *
 *   bodyOf(chunks)          -> a Buffer (under 64 kB: joined) or a ChunksBody (larger); either has `.length`
 *   new ChunksBody(chunks)  -> a Readable; `.length` is the total bytes (send it as content-length)
 *   reply.header('content-length', body.length).send(body)
 *
 * Piped (what Fastify does with a stream payload), it writes every chunk and ends the destination
 * at once. An HTTP response corks its socket on the first write and uncorks it on end, so the
 * headers and all the chunks leave in one `writev`, with no copy. Backpressure is not waited for on
 * purpose: the bytes are already held, and writing them queues references, not copies. Read any
 * other way (a HEAD answer drains it, a compressing pipeline reads it), it is a plain stream of the
 * same chunks.
 *
 * NOTE: measured (bench/api/README.md, tenth session): `Buffer.concat` of a page's cached items gave
 * every answer a new backing store (164 kB for a week of heart-rate windows, 330 MB/s at 2,000
 * req/s), and V8 answers that much external memory with a full mark-compact every ~0.2 s (158 in a
 * 30-second run, pauses up to 18 ms). Sent as chunks: 11-12 in the same run, the server's CPU per
 * answer 0.37-0.41 -> 0.25-0.27 ms. For small answers it is the other way round: a stream costs
 * Fastify ~0.03 ms more than one Buffer, and each chunk ~0.1 µs, while joining costs ~0.5 µs per kB
 * (copy and GC); the two cross at ~80 kB, hence `bodyOf`'s 64 kB.
 */
import { Readable } from 'node:stream';

export class ChunksBody extends Readable {
  /** Total bytes of the chunks. */
  readonly length: number;
  #chunks: readonly Buffer[];

  constructor(chunks: readonly Buffer[]) {
    super();
    this.#chunks = chunks;
    let length = 0;
    for (const chunk of chunks) length += chunk.length;
    this.length = length;
  }

  override _read(): void {
    for (const chunk of this.#take()) this.push(chunk);
    this.push(null);
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    for (const chunk of this.#take()) destination.write(chunk);
    if (options?.end !== false) destination.end();
    // Ends this side too, so whoever waits for the source to finish (Fastify does) sees 'end'.
    this.push(null);
    this.resume();
    return destination;
  }

  /** The chunks, once: a body is sent at most once. */
  #take(): readonly Buffer[] {
    const chunks = this.#chunks;
    this.#chunks = [];
    return chunks;
  }
}

/** From this many bytes an answer is sent as chunks; below, joined into one Buffer (see the NOTE above). */
export const CHUNKS_FROM = 64 * 1024;

/** The chunks as one response body: joined when small, a ChunksBody when large. */
export function bodyOf(chunks: readonly Buffer[]): Buffer | ChunksBody {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  return length < CHUNKS_FROM ? Buffer.concat(chunks, length) : new ChunksBody(chunks);
}
