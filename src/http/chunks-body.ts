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
 * Why: joining a large answer gives each one a new backing store, and at a high request rate V8
 * answers that much external memory with frequent full collections. For small answers a stream
 * costs Fastify more than the copy it saves, hence `bodyOf`'s threshold (bench/api/README.md).
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
