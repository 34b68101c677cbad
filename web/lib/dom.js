// A tiny render helper. Text always goes in as text nodes (never innerHTML), so data from the
// API cannot inject markup.

/**
 * h('button', { type: 'button', onclick }, 'Save') -> HTMLButtonElement
 * Props: `class`, `on<event>` listeners, boolean attributes (true/false), everything else an attribute.
 * @param {string} tag
 * @param {Record<string, unknown> | null} [props]
 * @param {...unknown} children strings, numbers, nodes, arrays of them; null/false are skipped
 * @returns {HTMLElement}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    } else if (key === 'class') {
      el.className = String(value);
    } else if (key === 'value' && 'value' in el) {
      /** @type {HTMLInputElement} */ (el).value = String(value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/** @param {Node} parent @param {unknown[]} children */
function append(parent, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the children of `el`. @param {Element} el @param {...unknown} children */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

const statusEl = () => document.getElementById('status');

/**
 * Announces a message in the page's aria-live region.
 * @param {string} message
 * @param {'info' | 'error' | 'ok'} [kind]
 */
export function announce(message, kind = 'info') {
  const el = statusEl();
  if (!el) return;
  el.textContent = message;
  el.dataset.kind = kind;
  announcedAt = Date.now();
  window.clearTimeout(clearTimer);
  // Good news fades; an error stays until the next page or message.
  if (kind !== 'error') clearTimer = window.setTimeout(clearAnnouncement, ANNOUNCE_MS);
}

const ANNOUNCE_MS = 8000;
let clearTimer = 0;
let announcedAt = 0;

/**
 * Empties the status line (on navigation, or when a message has been read); with olderThanMs, only
 * a message said longer ago than that.
 * @param {{ olderThanMs?: number }} [options]
 */
export function clearAnnouncement({ olderThanMs = 0 } = {}) {
  const el = statusEl();
  if (!el || Date.now() - announcedAt < olderThanMs) return;
  el.textContent = '';
  delete el.dataset.kind;
}

/** The detail of an API error, or the message of any other error. @param {unknown} err */
export function describeError(err) {
  if (err && typeof err === 'object' && 'message' in err) return String(err.message);
  return String(err);
}
