/**
 * A Server-Sent Events reader over real HTTP (fetch + stream reader, as the dashboard does): the
 * messages and comments a stream sent, and a wait for one that matches.
 */

export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  /** A comment line (`: ping` -> 'ping'). */
  comment?: string;
}

export interface SseClient {
  status: number;
  contentType: string | null;
  /** The body of a refused stream (not an event stream). */
  body: string | undefined;
  messages: SseMessage[];
  events(): SseMessage[];
  waitFor(match: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  close(): void;
}

/** Parses complete SSE blocks (pure). */
export function parseBlocks(text: string): SseMessage[] {
  const out: SseMessage[] = [];
  for (const block of text.split('\n\n')) {
    if (block === '') continue;
    const m: SseMessage = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) m.comment = line.slice(1).trim();
      else {
        const at = line.indexOf(':');
        const field = line.slice(0, at);
        const value = line.slice(at + 1).replace(/^ /, '');
        if (field === 'id' || field === 'event') m[field] = value;
        else if (field === 'data') m.data = m.data === undefined ? value : `${m.data}\n${value}`;
      }
    }
    out.push(m);
  }
  return out;
}

export async function openSse(url: string, headers: Record<string, string>): Promise<SseClient> {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  const messages: SseMessage[] = [];
  const contentType = res.headers.get('content-type');
  let body: string | undefined;
  if (res.ok && contentType?.startsWith('text/event-stream') && res.body) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        const end = buffer.lastIndexOf('\n\n');
        if (end < 0) continue;
        messages.push(...parseBlocks(buffer.slice(0, end + 2)));
        buffer = buffer.slice(end + 2);
      }
    })().catch(() => {});
  } else {
    body = await res.text();
  }
  return {
    status: res.status,
    contentType,
    body,
    messages,
    events: () => messages.filter((m) => m.id !== undefined),
    async waitFor(match, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find(match);
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(`no such SSE message; got ${JSON.stringify(messages).slice(0, 2000)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => abort.abort(),
  };
}
