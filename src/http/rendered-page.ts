/**
 * Sends an answer rendered in advance (JSON bytes held by a cache): the one place that knows how.
 *
 *   sendRenderedPage(reply, page) -> the reply, sent: gzip when the request accepts it (else as is),
 *     `Vary: accept-encoding` appended, content-length, a chunks body when large, and the ids the
 *     page lists handed to the audit trail (req.auditIds)
 *
 * The page decides nothing about HTTP; it only hands over its bytes in the coding asked for
 * (src/health/rendered-items.ts). Compression middleware leaves an answer with a Content-Encoding
 * alone (src/app.ts).
 */
import type { FastifyReply } from 'fastify';
import { acceptsGzip, type ContentCoding } from './accept-encoding.ts';
import { bodyOf } from './chunks-body.ts';

export interface RenderedBody {
  /** The ids the answer lists, in order (the audit trail records them). */
  readonly ids: string[];
  /** The JSON answer as chunks in order, as is or gzip-encoded. */
  chunks(coding: ContentCoding): readonly Buffer[];
}

export function sendRenderedPage(reply: FastifyReply, page: RenderedBody): FastifyReply {
  const req = reply.request;
  req.auditIds = page.ids;
  const gzip = acceptsGzip(req.headers['accept-encoding']);
  if (gzip) reply.header('content-encoding', 'gzip');
  // Appended: CORS may have set Vary: Origin already.
  const vary = reply.getHeader('vary');
  reply.header('vary', vary ? `${String(vary)}, accept-encoding` : 'accept-encoding');
  const body = bodyOf(page.chunks(gzip ? 'gzip' : 'identity'));
  return reply.type('application/json; charset=utf-8').header('content-length', body.length).send(body);
}
