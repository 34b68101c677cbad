/**
 * An open-loop load generator (the wrk2 method): requests are due at a constant rate whatever the
 * server does, spread over a pool of keep-alive connections, and each latency counts from the
 * moment its request was due, so time spent waiting for a free connection is counted (no
 * coordinated omission). A closed loop (autocannon) measures the ceiling instead: there, with N
 * connections always busy, the mean latency is N / throughput by construction.
 *
 *   node bench/lib/open-loop.ts --url <url> --rate 2000 --connections 100 --seconds 10 [--warmup 3]
 *     [--header 'name: value'] -> one JSON line: { due, completed, rate, errors, non2xx, latency, cpuMs }
 *
 * autocannon's own rate option is no substitute: each connection sends its quota back to back at the
 * start of every second, so the server sees bursts at full concurrency, not a rate.
 */
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    rate: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '0' },
    header: { type: 'string', multiple: true, default: [] },
  },
});
if (!values.url) throw new Error('--url is required');
const url = new URL(values.url);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const warmupMs = Number(values.warmup) * 1000;
// One request text for every send. The client is a minimal HTTP/1.1 keep-alive client over raw
// sockets (answers must carry content-length): node:http's client cost ~0.13 ms of CPU per
// request, CPU this 2-core machine's server would lose to the load generator.
const requestBytes = Buffer.from(
  `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n${values.header
    .map((h) => `${h}\r\n`)
    .join('')}\r\n`,
);

const intervalMs = 1000 / rate;
const t0 = performance.now();
const measuredFrom = t0 + warmupMs;
const end = measuredFrom + seconds * 1000;
const latencies: number[] = [];
let due = 0;
let errors = 0;
let non2xx = 0;
let inFlight = 0;
let lastDone = measuredFrom;

interface Conn {
  socket: Socket;
  /** When the request on it was due; undefined: idle. */
  dueAt: number | undefined;
  /** Bytes of an answer's head not yet complete. */
  buffered: Buffer;
  /** Body bytes of the answer in progress still to come (its head is read), and its status. */
  remaining: number;
  status: number;
}
const idle: Conn[] = [];
const waiting: number[] = []; // due times of requests waiting for a free connection

function send(conn: Conn, dueAt: number): void {
  conn.dueAt = dueAt;
  conn.socket.write(requestBytes);
}

function finish(conn: Conn, status: number): void {
  const dueAt = conn.dueAt as number;
  conn.dueAt = undefined;
  inFlight -= 1;
  const now = performance.now();
  if (dueAt >= measuredFrom) {
    latencies.push(now - dueAt);
    lastDone = now;
    if (status < 200 || status > 299) non2xx += 1;
  }
  const next = waiting.shift();
  if (next === undefined) idle.push(conn);
  else send(conn, next);
}

// Only an answer's head is buffered; its body is counted off as it arrives, never copied (joining
// every chunk of a 164 kB answer cost this process ~0.06 ms per answer, on the server's cores).
function onData(conn: Conn, chunk: Buffer): void {
  let data = chunk;
  for (;;) {
    if (conn.remaining > 0) {
      if (data.length < conn.remaining) {
        conn.remaining -= data.length;
        return;
      }
      data = data.subarray(conn.remaining);
      conn.remaining = 0;
      finish(conn, conn.status);
    }
    if (data.length === 0) return;
    conn.buffered = conn.buffered.length === 0 ? data : Buffer.concat([conn.buffered, data]);
    const headEnd = conn.buffered.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = conn.buffered.subarray(0, headEnd).toString('latin1');
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    if (length === undefined) throw new Error(`an answer without content-length: ${head.slice(0, 200)}`);
    conn.status = Number(head.slice(9, 12));
    data = conn.buffered.subarray(headEnd + 4);
    conn.buffered = Buffer.alloc(0);
    if (Number(length) === 0) {
      finish(conn, conn.status);
      continue;
    }
    conn.remaining = Number(length);
  }
}

for (let i = 0; i < Number(values.connections); i += 1) {
  const conn: Conn = {
    socket: connect({ host: url.hostname, port: Number(url.port), noDelay: true }),
    dueAt: undefined,
    buffered: Buffer.alloc(0),
    remaining: 0,
    status: 0,
  };
  conn.socket.on('data', (chunk) => onData(conn, chunk));
  // A connection that errors or closes (the server's keep-alive timeout) leaves the pool; a request
  // in flight on it counts as an error, not as unfinished.
  conn.socket.on('error', () => {});
  conn.socket.on('close', () => {
    const at = idle.indexOf(conn);
    if (at >= 0) idle.splice(at, 1);
    if (conn.dueAt !== undefined) {
      inFlight -= 1;
      if (conn.dueAt >= measuredFrom) errors += 1;
      conn.dueAt = undefined;
    }
  });
  idle.push(conn);
}

function fire(dueAt: number): void {
  if (dueAt >= measuredFrom) due += 1;
  inFlight += 1;
  const conn = idle.pop();
  if (conn) send(conn, dueAt);
  else waiting.push(dueAt);
}

let next = t0;
await new Promise<void>((resolve) => {
  const tick = () => {
    const now = performance.now();
    while (next <= now && next < end) {
      fire(next);
      next += intervalMs;
    }
    if (next >= end) resolve();
    else setTimeout(tick, Math.max(0, next - performance.now()));
  };
  tick();
});
// Let what is in flight finish (at most 10 s), so slow answers still count.
const stopAt = performance.now() + 10_000;
while (inFlight > 0 && performance.now() < stopAt) await new Promise((r) => setTimeout(r, 5));

const sorted = Float64Array.from(latencies).sort();
const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
const round = (ms: number) => Math.round(ms * 10) / 10;
const cpu = process.cpuUsage();
console.log(
  JSON.stringify({
    due,
    completed: latencies.length,
    // Completed per second over the measured window (until the last answer, if later than its end).
    rate: (latencies.length * 1000) / (Math.max(end, lastDone) - measuredFrom),
    errors,
    non2xx,
    unfinished: inFlight,
    latency: { p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(at(1)) },
    // This process's own CPU over the whole run (warm-up included): the load generator shares the cores.
    cpuMs: (cpu.user + cpu.system) / 1000,
  }),
);
// Open connections (and any still waiting for an answer) would keep the process alive.
process.exit(0);
