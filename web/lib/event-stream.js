// The live event stream (GET /events/stream, docs/events.md §7), read with fetch() and a stream
// reader: EventSource cannot send the Authorization header, and the access token lives only in
// this page's memory (lib/api.js). Reconnects after a drop, resuming with Last-Event-ID.

import { isSignedIn, request } from './api.js';

/** @typedef {{ id?: string, event: string, data: any }} StreamMessage */

/**
 * Parses complete SSE blocks: messages only, comments (`: ping`) dropped.
 * @param {string} text
 * @returns {StreamMessage[]}
 */
export function parseEvents(text) {
  /** @type {StreamMessage[]} */
  const out = [];
  for (const block of text.split('\n\n')) {
    /** @type {{ id?: string, event?: string, data?: string }} */
    const m = {};
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const at = line.indexOf(':');
      const field = at < 0 ? line : line.slice(0, at);
      const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
      if (field === 'id' || field === 'event') m[field] = value;
      else if (field === 'data') m.data = m.data === undefined ? value : `${m.data}\n${value}`;
    }
    if (m.data === undefined) continue;
    try {
      out.push({ ...(m.id ? { id: m.id } : {}), event: m.event ?? 'message', data: JSON.parse(m.data) });
    } catch {
      // not JSON: not one of ours
    }
  }
  return out;
}

/**
 * Follows the caller's events until `signal` aborts (or the session ends): `onOpen` each time the
 * stream (re)connects, `onMessage` for every message. Resolves when it stops.
 * @param {{ signal: AbortSignal, onMessage: (m: StreamMessage) => void, onOpen?: () => void, retryMs?: number }} options
 */
export async function followEvents({ signal, onMessage, onOpen, retryMs = 3000 }) {
  /** @type {string | undefined} */
  let lastId;
  while (!signal.aborted && isSignedIn()) {
    try {
      const res = await request('/events/stream', {
        accept: 'text/event-stream',
        headers: lastId ? { 'last-event-id': lastId } : {},
        signal,
      });
      if (!res.body) throw new Error('no stream');
      onOpen?.();
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true }).replaceAll('\r\n', '\n');
        const end = buffer.lastIndexOf('\n\n');
        if (end < 0) continue;
        for (const m of parseEvents(buffer.slice(0, end))) {
          if (m.id) lastId = m.id;
          onMessage(m);
        }
        buffer = buffer.slice(end + 2);
      }
    } catch {
      // dropped, refused (429) or aborted: try again below unless stopped
    }
    await pause(retryMs, signal);
  }
}

/** @param {number} ms @param {AbortSignal} signal */
export function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve(undefined);
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
