// Sign in and sign up: one form, two submit buttons.

import { signIn, signUp } from '../lib/api.js';
import { announce, h, mount } from '../lib/dom.js';

/** @param {HTMLElement} main */
export function renderAuth(main) {
  const error = h('p', { class: 'error', id: 'auth-error', role: 'alert' });
  const email = h('input', {
    id: 'email',
    name: 'email',
    type: 'email',
    autocomplete: 'username',
    required: true,
  });
  const password = h('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    minlength: 8,
    required: true,
    'aria-describedby': 'password-hint',
  });
  const name = h('input', { id: 'name', name: 'name', type: 'text', autocomplete: 'name' });

  /** @param {SubmitEvent} event */
  async function submit(event) {
    event.preventDefault();
    const mode = /** @type {HTMLButtonElement | null} */ (event.submitter)?.value ?? 'signin';
    const form = /** @type {HTMLFormElement} */ (event.currentTarget);
    if (!form.reportValidity()) return;
    error.textContent = '';
    form.setAttribute('aria-busy', 'true');
    const fields = /** @type {[HTMLInputElement, HTMLInputElement, HTMLInputElement]} */ ([
      email,
      password,
      name,
    ]);
    try {
      if (mode === 'signup') {
        await signUp(fields[0].value, fields[1].value, fields[2].value.trim() || undefined);
        announce('Account created. Connect a vendor to start.', 'ok');
        location.hash = '#/integrations';
      } else {
        await signIn(fields[0].value, fields[1].value);
        announce('Signed in.', 'ok');
        location.hash = '#/today';
      }
    } catch (err) {
      error.textContent = /** @type {Error} */ (err).message;
    } finally {
      form.removeAttribute('aria-busy');
    }
  }

  mount(
    main,
    h('h1', null, 'Sign in'),
    h('p', { class: 'muted' }, 'Your personal health record: wearable data, charts and exports.'),
    h(
      'form',
      { class: 'card form', onsubmit: submit, novalidate: false },
      h('label', { for: 'email' }, 'Email'),
      email,
      h('label', { for: 'password' }, 'Password'),
      password,
      h('p', { id: 'password-hint', class: 'hint' }, 'At least 8 characters.'),
      h('label', { for: 'name' }, 'Name ', h('span', { class: 'muted' }, '(optional, for a new account)')),
      name,
      error,
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'submit', value: 'signin', class: 'primary' }, 'Sign in'),
        h('button', { type: 'submit', value: 'signup' }, 'Create account'),
      ),
    ),
  );
  email.focus();
}
