// Account: who is signed in, sign out, and erase everything (DELETE /auth/me) after confirming.

import { deleteAccount, getJson, signOut } from '../lib/api.js';
import { confirmAction } from '../lib/confirm.js';
import { announce, h, mount } from '../lib/dom.js';
import { formatWhen } from '../lib/format.js';

/** @param {HTMLElement} main @param {AbortSignal} signal */
export async function renderAccount(main, signal) {
  const details = h('dl', { class: 'facts', 'aria-busy': 'true' });
  mount(
    main,
    h('h1', null, 'Account'),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'me-title' },
      h('h2', { id: 'me-title' }, 'You'),
      details,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'signout-title' },
      h('h2', { id: 'signout-title' }, 'Sign out'),
      h('p', { class: 'muted' }, 'Ends this sign-in on the server too.'),
      h('button', { type: 'button', onclick: () => void signOut() }, 'Sign out'),
    ),
    h(
      'section',
      { class: 'card danger-zone', 'aria-labelledby': 'delete-title' },
      h('h2', { id: 'delete-title' }, 'Delete my data'),
      h(
        'p',
        null,
        'Deletes your account, your synced observations and your vendor connections (their access is revoked). This cannot be undone.',
      ),
      h('button', { type: 'button', class: 'danger', onclick: confirmDelete }, 'Delete my account and data'),
    ),
  );
  const me = await getJson('/auth/me');
  if (signal.aborted) return;
  mount(
    details,
    h('dt', null, 'Name'),
    h('dd', null, me.name),
    h('dt', null, 'Email'),
    h('dd', { id: 'me-email' }, me.email),
    h('dt', null, 'Member since'),
    h('dd', null, formatWhen(me.created_at)),
    h('dt', null, 'FHIR Patient'),
    h('dd', null, h('code', null, me.fhir_patient_id)),
  );
  details.removeAttribute('aria-busy');
}

async function confirmDelete() {
  const ok = await confirmAction({
    title: 'Delete your account and all your data?',
    body: 'Your observations, vendor connections and account are erased now. This cannot be undone.',
    confirmLabel: 'Delete everything',
    danger: true,
  });
  if (!ok) return;
  try {
    await deleteAccount();
  } catch (err) {
    announce(`Could not delete: ${/** @type {Error} */ (err).message}`, 'error');
  }
}
