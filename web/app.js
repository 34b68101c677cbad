// Entry point: restores a session after an OAuth round-trip, then routes on the URL hash.

import { isSignedIn, onSessionChange, resumeSession } from './lib/api.js';
import { announce, clearAnnouncement, h, mount } from './lib/dom.js';
import { vendorName } from './lib/measures.js';
import { renderAccount } from './views/account.js';
import { renderAuth } from './views/auth.js';
import { renderData } from './views/data.js';
import { renderImport } from './views/import.js';
import { renderIntegrations } from './views/integrations.js';
import { renderNotices } from './views/notices.js';
import { renderSync } from './views/sync.js';
import { renderToday } from './views/today.js';
import { renderTrends } from './views/trends.js';

/** @typedef {(main: HTMLElement, signal: AbortSignal) => void | Promise<void>} View */

/**
 * The pages, in the order the navigation lists them (`nav: false`: reachable, not listed). A
 * route also matches its sub-paths: #/trends/steps is the trends page of steps.
 * @type {{ hash: string, title: string, label?: string, view: View, nav?: boolean }[]}
 */
const VIEWS = [
  { hash: '#/today', title: 'Today', view: renderToday },
  { hash: '#/trends', title: 'Trends', view: renderTrends },
  { hash: '#/sync', title: 'Sources and sync', label: 'Sync', view: renderSync },
  { hash: '#/integrations', title: 'Integrations', view: renderIntegrations },
  { hash: '#/data', title: 'Your health data', label: 'Data', view: renderData },
  { hash: '#/import', title: 'Import', view: renderImport },
  { hash: '#/account', title: 'Account', view: renderAccount },
  { hash: '#/signin', title: 'Sign in', view: renderAuth, nav: false },
];
const HOME = '#/today';

/** @param {string} hash */
const viewOf = (hash) => VIEWS.find((v) => hash === v.hash || hash.startsWith(`${v.hash}/`));

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
const notices = /** @type {HTMLElement} */ (document.getElementById('notices'));
/** @type {AbortController | null} */
let current = null;

mount(
  nav,
  h(
    'ul',
    null,
    VIEWS.filter((v) => v.nav !== false).map((v) =>
      h('li', null, h('a', { href: v.hash }, v.label ?? v.title)),
    ),
  ),
);

function route() {
  const hash = location.hash;
  // In-page anchors (the skip link) are not routes.
  if (hash && !hash.startsWith('#/') && main.dataset.view) return;
  const signedIn = isSignedIn();
  let key = viewOf(hash) ? hash : HOME;
  if (!signedIn) key = '#/signin';
  else if (key === '#/signin') key = HOME;
  if (key !== hash) {
    history.replaceState(null, '', key);
  }
  const page = /** @type {typeof VIEWS[number]} */ (viewOf(key));
  nav.hidden = !signedIn;
  notices.hidden = !signedIn;
  for (const link of nav.querySelectorAll('a')) {
    if (link.getAttribute('href') === page.hash) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const { title, view } = page;
  // A message belongs to the page it was said on, or to the action that just navigated here.
  clearAnnouncement({ olderThanMs: 1000 });
  document.title = `${title} · PHR dashboard`;
  current?.abort();
  current = new AbortController();
  mount(main);
  main.dataset.view = key;
  if (signedIn) void renderNotices(notices, current.signal);
  else {
    mount(notices);
    notices.dataset.key = '';
  }
  const { signal } = current;
  Promise.resolve(view(main, signal)).catch((err) => {
    // A page left while it was loading: its aborted requests are not an error of the next page.
    if (signal.aborted) return;
    mount(
      main,
      h('h1', null, title),
      h('p', { class: 'error' }, `Something went wrong: ${err.message ?? err}`),
    );
  });
}

/** The backend's OAuth callback sends the browser back with ?status=connected|error&vendor=&code=. */
function readOAuthResult() {
  const params = new URLSearchParams(location.search);
  const status = params.get('status');
  if (!status) return null;
  history.replaceState(null, '', `${location.pathname}#/integrations`);
  const vendor = vendorName(params.get('vendor') ?? 'the vendor');
  return status === 'connected'
    ? {
        kind: /** @type {const} */ ('ok'),
        message: `Connected to ${vendor}. Your first sync has started: follow it on the Sync page.`,
      }
    : {
        kind: /** @type {const} */ ('error'),
        message: `Could not connect (${params.get('code') ?? 'error'}).`,
      };
}

async function start() {
  const result = readOAuthResult();
  const resumed = await resumeSession();
  // Signing in navigates by itself (views/auth.js); signing out, or a session that ends, lands here.
  onSessionChange((signedIn, reason) => {
    if (signedIn) return;
    if (reason) announce(reason);
    if (location.hash === '#/signin') route();
    else location.hash = '#/signin';
  });
  window.addEventListener('hashchange', route);
  if (result) announce(resumed ? result.message : `${result.message} Sign in to continue.`, result.kind);
  route();
}

start().catch((err) => announce(String(err), 'error'));
