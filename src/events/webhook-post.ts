/**
 * One webhook POST (docs/events.md §5): the body as given, a hard timeout, no redirects (node:http
 * never follows them; a 3xx is a failure), and the connection pinned to the addresses the URL
 * check approved (`addresses`), so a name that resolves elsewhere a moment later (DNS rebinding)
 * is never dialled. The response body is read and dropped, never stored.
 *
 *   postWebhook(url, { body, headers, addresses, timeoutMs }) -> { status } | { error }
 */
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';

export type PostResult = { status: number } | { error: string };

export function postWebhook(
  url: URL,
  request: { body: string; headers: Record<string, string>; addresses: readonly string[]; timeoutMs: number },
): Promise<PostResult> {
  const client = url.protocol === 'https:' ? https : http;
  const pinned = request.addresses.filter((a) => isIP(a) !== 0);
  const lookup: LookupFunction | undefined =
    pinned.length === 0
      ? undefined
      : (_host, options, cb) => {
          const all = pinned.map((address) => ({ address, family: isIP(address) }));
          if (options.all) (cb as (e: null, a: typeof all) => void)(null, all);
          else cb(null, all[0]!.address, all[0]!.family);
        };
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body).toString() },
        ...(lookup ? { lookup } : {}),
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => done({ status: res.statusCode ?? 0 }));
        res.on('error', () => done({ status: res.statusCode ?? 0 }));
      },
    );
    const timer = setTimeout(() => {
      done({ error: `no answer within ${request.timeoutMs} ms` });
      req.destroy();
    }, request.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => done({ error: err.code ?? err.message }));
    req.end(request.body);
  });
}
