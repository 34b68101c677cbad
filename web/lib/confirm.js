// An accessible confirmation: a native modal <dialog> (focus trapped, Escape cancels).

import { h } from './dom.js';

/**
 * @param {{ title: string, body: string, confirmLabel: string, danger?: boolean }} options
 * @returns {Promise<boolean>}
 */
export function confirmAction({ title, body, confirmLabel, danger = false }) {
  return new Promise((resolve) => {
    const cancel = h('button', { type: 'submit', value: 'cancel', autofocus: true }, 'Cancel');
    const ok = h(
      'button',
      { type: 'submit', value: 'confirm', class: danger ? 'danger' : 'primary' },
      confirmLabel,
    );
    const dialog = /** @type {HTMLDialogElement} */ (
      h(
        'dialog',
        { 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-body' },
        h(
          'form',
          { method: 'dialog' },
          h('h2', { id: 'confirm-title' }, title),
          h('p', { id: 'confirm-body' }, body),
          h('div', { class: 'actions' }, cancel, ok),
        ),
      )
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
