/**
 * One webhook POST (docs/events.md §5): the body as given, a hard timeout, no redirects (node:http
 * never follows them; a 3xx is a failure), and the connection pinned to the addresses the URL
 * check approved (`addresses`), so a name that resolves elsewhere a moment later (DNS rebinding)
 * is never dialled. The response body is read and dropped, never stored.
 *
 * Connections are kept alive between deliveries, in one agent per origin *and* set of checked
 * addresses: a socket is only ever reused for a POST whose own check approved the address it is
 * connected to (a name that now resolves elsewhere gets a new agent, which dials the new, checked
 * addresses). Idle sockets close after KEEP_ALIVE_IDLE_MS, below the usual 5 s server timeout.
 *
 *   postWebhook(url, { body, headers, addresses, timeoutMs }, pool?) -> { status } | { error }
 *   createConnectionPool() -> the kept-alive agents (a delivery's own; close() at shutdown)
 */
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';

export type PostResult = { status: number } | { error: string };

const KEEP_ALIVE_IDLE_MS = 4_000;
const MAX_SOCKETS_PER_AGENT = 16;
const MAX_AGENTS = 256;

/** Kept-alive connections: one agent per origin and set of checked addresses. */
export interface ConnectionPool {
  agentFor(url: URL, pinned: readonly string[]): http.Agent;
  /** Closes every kept-alive connection (shutdown). */
  close(): void;
}

export function createConnectionPool(): ConnectionPool {
  const agents = new Map<string, http.Agent>();
  return {
    agentFor(url, pinned) {
      const key = `${url.protocol}//${url.host}|${pinned.join(',')}`;
      const found = agents.get(key);
      if (found) {
        // Most recently used last: the first is the one to drop when there are too many.
        agents.delete(key);
        agents.set(key, found);
        return found;
      }
      if (agents.size >= MAX_AGENTS) {
        const [oldest, agent] = agents.entries().next().value as [string, http.Agent];
        agents.delete(oldest);
        agent.destroy();
      }
      const options = {
        keepAlive: true,
        timeout: KEEP_ALIVE_IDLE_MS,
        maxSockets: MAX_SOCKETS_PER_AGENT,
        scheduling: 'lifo' as const,
      };
      const agent = url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
      agents.set(key, agent);
      return agent;
    },
    close() {
      for (const agent of agents.values()) agent.destroy();
      agents.clear();
    },
  };
}

export function postWebhook(
  url: URL,
  request: { body: string; headers: Record<string, string>; addresses: readonly string[]; timeoutMs: number },
  pool?: ConnectionPool,
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
  // No pool: a connection of its own, closed after the answer.
  const agent = pool ? pool.agentFor(url, pinned) : false;
  const send = (mayRetry: boolean): Promise<PostResult> =>
    new Promise((resolve) => {
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
          agent,
        },
        (res) => {
          res.resume();
          res.on('end', () => done({ status: res.statusCode ?? 0 }));
          res.on('error', () => done({ status: res.statusCode ?? 0 }));
        },
      );
      const timer = setTimeout(() => {
        done({ error: `no answer within ${request.timeoutMs} ms` });
        req.destroy(); // the socket too: it is never handed to another POST
      }, request.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive socket the receiver closed just as we reused it: once more, on a new one.
        if (mayRetry && req.reusedSocket && err.code === 'ECONNRESET' && !settled) {
          settled = true;
          clearTimeout(timer);
          resolve(send(false));
          return;
        }
        done({ error: err.code ?? err.message });
      });
      req.end(request.body);
    });
  return send(true);
}
