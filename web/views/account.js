// Account: who is signed in, units and daily goals, sign out, and erase everything
// (DELETE /auth/me) after confirming.

import { deleteAccount, getJson, signOut } from '../lib/api.js';
import { confirmAction } from '../lib/confirm.js';
import { announce, h, mount } from '../lib/dom.js';
import { formatWhen } from '../lib/format.js';
import { preferences, savePreferences } from '../lib/prefs.js';

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
    preferencesForm(signal),
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

/** @param {string} name @param {string} legend @param {[string, string][]} options */
function radios(name, legend, options) {
  return h(
    'fieldset',
    { class: 'radios' },
    h('legend', null, legend),
    options.map(([value, label]) =>
      h('label', null, h('input', { type: 'radio', name, value, id: `${name}-${value}` }), ` ${label}`),
    ),
  );
}

/** @param {string} id @param {string} label @param {number} min @param {number} max @param {number} step */
function numberField(id, label, min, max, step) {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h('input', { id, name: id, type: 'number', min, max, step, required: true, inputmode: 'numeric' }),
  );
}

/** Units and goals, stored on the account (GET/PATCH /account/preferences). @param {AbortSignal} signal */
function preferencesForm(signal) {
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'prefs', 'aria-busy': 'true' },
      radios('distance', 'Distance', [
        ['km', 'Kilometres'],
        ['mi', 'Miles'],
      ]),
      radios('weight', 'Weight', [
        ['kg', 'Kilograms'],
        ['lb', 'Pounds'],
      ]),
      radios('temperature', 'Temperature', [
        ['C', '°C'],
        ['F', '°F'],
      ]),
      h(
        'fieldset',
        { class: 'goals' },
        h('legend', null, 'Daily goals'),
        numberField('goal-steps', 'Steps', 100, 100000, 100),
        numberField('goal-energy', 'Energy burned (kcal)', 100, 20000, 50),
        numberField('goal-sleep', 'Sleep (minutes)', 60, 960, 15),
      ),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save preferences')),
    )
  );
  const field = (/** @type {string} */ name) =>
    /** @type {HTMLInputElement} */ (form.elements.namedItem(name));
  const radio = (/** @type {string} */ name) => /** @type {RadioNodeList} */ (form.elements.namedItem(name));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    form.setAttribute('aria-busy', 'true');
    try {
      await savePreferences({
        units: {
          distance: /** @type {'km' | 'mi'} */ (radio('distance').value),
          weight: /** @type {'kg' | 'lb'} */ (radio('weight').value),
          temperature: /** @type {'C' | 'F'} */ (radio('temperature').value),
        },
        goals: {
          steps: Number(field('goal-steps').value),
          energy: Number(field('goal-energy').value),
          sleep: Number(field('goal-sleep').value),
        },
      });
      announce('Preferences saved.', 'ok');
    } catch (err) {
      announce(`Could not save: ${/** @type {Error} */ (err).message}`, 'error');
    } finally {
      form.removeAttribute('aria-busy');
    }
  });
  void preferences().then((p) => {
    if (signal.aborted) return;
    radio('distance').value = p.units.distance;
    radio('weight').value = p.units.weight;
    radio('temperature').value = p.units.temperature;
    field('goal-steps').value = String(p.goals.steps);
    field('goal-energy').value = String(p.goals.energy);
    field('goal-sleep').value = String(p.goals.sleep);
    form.removeAttribute('aria-busy');
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'prefs-title' },
    h('h2', { id: 'prefs-title' }, 'Units and goals'),
    h('p', { class: 'muted' }, 'How values are shown here. Your data keeps its original units.'),
    form,
  );
}
