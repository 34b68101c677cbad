// The banner of open notices above every page after sign-in (GET /notices): a revoked grant
// (with a Reconnect link to the integrations page) or a vendor whose syncs keep failing. Each has a
// Dismiss button (POST /notices/{id}/dismiss). Notices resolve by themselves once the vendor works
// again, so the banner is simply read again on every page change.

import { getJson, sendJson } from '../lib/api.js';
import { announce, describeError, h, mount } from '../lib/dom.js';

/** @typedef {{ id: string, kind: string, vendor: string, integration_id: string, code: string, message: string, created_at: string }} Notice */

/**
 * Reads the open notices into `region` (empty when there are none, or when the read fails: the
 * page below still works).
 * @param {HTMLElement} region
 * @param {AbortSignal} signal
 */
export async function renderNotices(region, signal) {
  /** @type {Notice[]} */
  let notices = [];
  try {
    notices = /** @type {{ notices: Notice[] }} */ (await getJson('/notices')).notices;
  } catch {
    notices = [];
  }
  if (signal.aborted) return;
  // The region is a live one: rewritten only when its notices change, so a page change does not
  // announce them again.
  const key = notices.map((n) => n.id).join(',');
  if (region.dataset.key === key) return;
  region.dataset.key = key;
  mount(
    region,
    notices.length > 0
      ? h(
          'ul',
          { class: 'notices' },
          notices.map((n) => item(n, region)),
        )
      : null,
  );
}

/** @param {Notice} notice @param {HTMLElement} region */
function item(notice, region) {
  const li = h(
    'li',
    { class: 'notice', 'data-kind': notice.kind, 'data-vendor': notice.vendor },
    h('span', { class: 'notice-text' }, notice.message),
    notice.kind === 'integration.needs_reauth'
      ? h('a', { href: '#/integrations', class: 'notice-action' }, 'Reconnect')
      : null,
  );
  const dismiss = h(
    'button',
    {
      type: 'button',
      'aria-label': `Dismiss: ${notice.message}`,
      onclick: async () => {
        dismiss.setAttribute('disabled', '');
        try {
          await sendJson('POST', `/notices/${encodeURIComponent(notice.id)}/dismiss`);
          li.remove();
          region.dataset.key = '';
          announce('Notice dismissed.', 'ok');
        } catch (err) {
          dismiss.removeAttribute('disabled');
          announce(`Could not dismiss the notice: ${describeError(err)}`, 'error');
        }
      },
    },
    'Dismiss',
  );
  li.append(dismiss);
  return li;
}
