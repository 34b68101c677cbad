// Vendors: what can be connected, each connection's state, connect / reconnect / disconnect.

import { ApiError, getJson, request, startOAuth } from '../lib/api.js';
import { confirmAction } from '../lib/confirm.js';
import { announce, h, mount } from '../lib/dom.js';
import { formatWhen, humanStatus } from '../lib/format.js';

/**
 * @typedef {{ vendor: string, display_name: string, data_types: string[], status: string }} AvailableVendor
 * @typedef {{ id: number | string, vendor: string, status: string, is_active: boolean, connected_at: string | null, last_sync_at: string | null, last_sync_status: string | null, vendor_user_id: string | null }} Integration
 * @typedef {{ vendor: string, connected: boolean, status: string, last_sync_at: string | null, last_sync_status: string | null, next_sync_at: string | null, scopes?: string[] }} VendorStatus
 */

/** @param {HTMLElement} main @param {AbortSignal} signal */
export async function renderIntegrations(main, signal) {
  const list = h(
    'div',
    { class: 'cards', 'aria-busy': 'true' },
    h('p', { class: 'muted' }, 'Loading vendors…'),
  );
  mount(
    main,
    h('h1', null, 'Integrations'),
    h('p', { class: 'muted' }, 'Connect a wearable account; the backend then syncs it in the background.'),
    list,
  );
  await refreshList(list, signal);
}

/** @param {HTMLElement} list @param {AbortSignal} signal */
async function refreshList(list, signal) {
  const [available, mine] = await Promise.all([
    getJson('/integrations/vendors/available'),
    getJson('/integrations/vendors'),
  ]);
  /** @type {AvailableVendor[]} */
  const vendors = Array.isArray(available) ? available : (available.vendors ?? []);
  /** @type {Integration[]} */
  const integrations = mine.integrations ?? [];
  const statuses = await Promise.all(
    vendors.map((v) => getJson(`/integrations/${encodeURIComponent(v.vendor)}/status`).catch(() => null)),
  );
  if (signal.aborted) return;
  const reload = () => refreshList(list, signal);
  mount(
    list,
    vendors.length === 0 ? h('p', { class: 'muted' }, 'No vendors are available on this server.') : null,
    vendors.map((vendor, i) =>
      vendorCard(
        vendor,
        integrations.find((x) => x.vendor === vendor.vendor && x.is_active) ?? null,
        statuses[i] ?? null,
        reload,
      ),
    ),
  );
  list.removeAttribute('aria-busy');
}

/**
 * @param {AvailableVendor} vendor
 * @param {Integration | null} integration
 * @param {VendorStatus | null} status
 * @param {() => Promise<void>} reload
 */
function vendorCard(vendor, integration, status, reload) {
  const state = status?.status ?? integration?.status ?? 'not_connected';
  const connected = state === 'connected';
  const needsReauth = state === 'needs_reauth';
  const headingId = `vendor-${vendor.vendor}`;
  return h(
    'section',
    { class: 'card vendor', 'aria-labelledby': headingId, 'data-vendor': vendor.vendor, 'data-state': state },
    h('h2', { id: headingId }, vendor.display_name),
    h('p', { class: `badge badge-${state}` }, humanStatus(state)),
    needsReauth
      ? h(
          'p',
          { class: 'warning', role: 'alert' },
          `${vendor.display_name} no longer accepts our access (the grant was revoked or expired). Reconnect to resume syncing.`,
        )
      : null,
    h(
      'dl',
      { class: 'facts' },
      h('dt', null, 'Data'),
      h('dd', null, vendor.data_types.map((t) => t.replaceAll('_', ' ')).join(', ')),
      h('dt', null, 'Last sync'),
      h(
        'dd',
        null,
        formatWhen(status?.last_sync_at ?? integration?.last_sync_at),
        status?.last_sync_status ? ` (${humanStatus(status.last_sync_status)})` : '',
      ),
      h('dt', null, 'Next sync'),
      h('dd', null, formatWhen(status?.next_sync_at)),
    ),
    h(
      'div',
      { class: 'actions' },
      connected
        ? null
        : h(
            'button',
            { type: 'button', class: 'primary', onclick: () => connect(vendor) },
            needsReauth ? `Reconnect ${vendor.display_name}` : `Connect ${vendor.display_name}`,
          ),
      integration
        ? h(
            'button',
            { type: 'button', class: 'danger', onclick: () => disconnect(vendor, integration, reload) },
            `Disconnect ${vendor.display_name}`,
          )
        : null,
    ),
  );
}

/** Starts OAuth: the browser leaves for the vendor's consent page and comes back via the callback. */
/** @param {AvailableVendor} vendor */
async function connect(vendor) {
  announce(`Opening ${vendor.display_name}…`);
  try {
    const path = `/integrations/${encodeURIComponent(vendor.vendor)}/authorize`;
    const { authorization_url: url } = await startOAuth(path).catch(async (err) => {
      // Some servers want the vendor selected first.
      if (!(err instanceof ApiError) || ![404, 409, 422].includes(err.status)) throw err;
      await request('/integrations/vendors/select', { method: 'POST', body: { vendor: vendor.vendor } });
      return startOAuth(path);
    });
    location.assign(url);
  } catch (err) {
    announce(`Could not start the connection: ${/** @type {Error} */ (err).message}`, 'error');
  }
}

/** @param {AvailableVendor} vendor @param {Integration} integration @param {() => Promise<void>} reload */
async function disconnect(vendor, integration, reload) {
  const ok = await confirmAction({
    title: `Disconnect ${vendor.display_name}?`,
    body: 'The backend revokes its access and stops syncing. Data already synced is kept.',
    confirmLabel: 'Disconnect',
    danger: true,
  });
  if (!ok) return;
  try {
    await request(`/integrations/vendors/${encodeURIComponent(String(integration.id))}`, {
      method: 'DELETE',
    });
    announce(`${vendor.display_name} disconnected.`, 'ok');
    await reload();
  } catch (err) {
    announce(`Could not disconnect: ${/** @type {Error} */ (err).message}`, 'error');
  }
}
