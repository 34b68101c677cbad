// Import: upload an Apple Health export (POST /imports/apple-health), follow it with a determinate
// progress bar by polling GET /imports/{id}, then show what it did: Observations created, updated
// and unchanged, records per type and the records skipped with their reasons. Earlier imports are
// listed below, each with an Undo (DELETE /imports/{id}).

import { getJson, sendJson, uploadFile } from '../lib/api.js';
import { confirmAction } from '../lib/confirm.js';
import { announce, h, mount } from '../lib/dom.js';
import { pause } from '../lib/event-stream.js';
import { formatNumber, formatWhen, humanStatus } from '../lib/format.js';

/**
 * @typedef {{ id: string, status: string, progress: number, bytes: number, records_read: number, created: number, updated: number, unchanged: number, skipped: Record<string, number>, by_type: Record<string, number>, created_at: string, finished_at: string | null, error: string | null }} Import
 */

const DONE = new Set(['succeeded', 'failed']);
const POLL_MS = 500;

/** @param {HTMLElement} main @param {AbortSignal} signal */
export async function renderImport(main, signal) {
  const input = /** @type {HTMLInputElement} */ (
    h('input', {
      type: 'file',
      id: 'import-file',
      accept: '.zip,.xml,application/zip,text/xml',
      required: true,
    })
  );
  const button = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'submit', class: 'primary' }, 'Import')
  );
  const result = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const history = h('div', { id: 'import-history' });
  const form = h(
    'form',
    { class: 'card', id: 'import-form' },
    h('label', { for: 'import-file' }, 'Apple Health export (export.zip or export.xml)'),
    input,
    h('div', { class: 'actions' }, button),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const file = input.files?.[0];
    if (!file) {
      announce('Choose the export file first.', 'error');
      return;
    }
    void start(file, button, result, history, signal);
  });
  mount(
    main,
    h('h1', null, 'Import'),
    h(
      'p',
      { class: 'muted' },
      'On the iPhone: Health app, your picture, Export All Health Data. Send the export.zip to this computer and choose it here. ',
      'Steps, distance and energy are counted as the Health app counts them: the Watch before the iPhone, never both for the same minutes. Importing the same file again changes nothing.',
    ),
    form,
    result,
    history,
  );
  await showHistory(history, signal);
}

/**
 * @param {File} file @param {HTMLButtonElement} button @param {HTMLElement} result
 * @param {HTMLElement} history @param {AbortSignal} signal
 */
async function start(file, button, result, history, signal) {
  button.disabled = true;
  try {
    mount(result, h('p', { class: 'muted' }, `Uploading ${file.name}…`));
    /** @type {{ id: string }} */
    const queued = await uploadFile('/imports/apple-health', file);
    announce('Import started.');
    /** @type {Import} */
    let current = await getJson(`/imports/${encodeURIComponent(queued.id)}`);
    while (!signal.aborted) {
      showImport(result, current);
      if (DONE.has(current.status)) break;
      await pause(POLL_MS, signal);
      current = await getJson(`/imports/${encodeURIComponent(queued.id)}`);
    }
    if (current.status === 'succeeded')
      announce(
        `Import succeeded: ${current.created} new, ${current.updated} updated, ${current.unchanged} unchanged.`,
        'ok',
      );
    else announce(`Import failed: ${current.error ?? 'unknown reason'}`, 'error');
    await showHistory(history, signal);
  } catch (err) {
    if (!signal.aborted) announce(`Could not import: ${/** @type {Error} */ (err).message}`, 'error');
  } finally {
    button.disabled = false;
  }
}

/** @param {HTMLElement} el @param {Import} imp */
function showImport(el, imp) {
  const running = !DONE.has(imp.status);
  mount(
    el,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'import-heading', 'data-status': imp.status },
      h(
        'h2',
        { id: 'import-heading' },
        'Import ',
        h('span', { class: `badge badge-${imp.status}` }, humanStatus(imp.status)),
      ),
      running
        ? h(
            'p',
            null,
            h('progress', {
              id: 'import-progress',
              max: 1,
              value: imp.progress,
              'aria-label': 'Import progress',
            }),
            ` ${Math.round(imp.progress * 100)} % · ${formatNumber(imp.records_read, 0)} records read`,
          )
        : null,
      imp.error ? h('p', { class: 'error-box', role: 'alert' }, imp.error) : null,
      DONE.has(imp.status) && imp.status === 'succeeded' ? summary(imp) : null,
    ),
  );
}

/** @param {Import} imp */
function summary(imp) {
  return [
    h(
      'p',
      { id: 'import-counts' },
      `${formatNumber(imp.records_read, 0)} records read: `,
      h('strong', { 'data-field': 'created' }, imp.created),
      ' new, ',
      h('strong', { 'data-field': 'updated' }, imp.updated),
      ' updated, ',
      h('strong', { 'data-field': 'unchanged' }, imp.unchanged),
      ' unchanged.',
    ),
    countTable('import-by-type', 'Records per type', 'Type', imp.by_type),
    Object.keys(imp.skipped).length > 0
      ? countTable('import-skipped', 'Records skipped', 'Reason', imp.skipped)
      : h('p', { class: 'muted' }, 'No record was skipped.'),
  ];
}

/** @param {string} id @param {string} caption @param {string} key @param {Record<string, number>} counts */
function countTable(id, caption, key, counts) {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { id },
      h('caption', null, caption),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, key), h('th', { scope: 'col' }, 'Records'))),
      h(
        'tbody',
        null,
        rows.map(([name, n]) =>
          h(
            'tr',
            { 'data-key': name },
            h('th', { scope: 'row' }, name.replaceAll('_', ' ')),
            h('td', { class: 'num' }, n),
          ),
        ),
      ),
    ),
  );
}

/** @param {HTMLElement} el @param {AbortSignal} signal */
async function showHistory(el, signal) {
  /** @type {{ imports: Import[] }} */
  const { imports } = await getJson('/imports');
  if (signal.aborted) return;
  if (imports.length === 0) {
    mount(el);
    return;
  }
  mount(
    el,
    h('h2', null, 'Earlier imports'),
    h(
      'ul',
      null,
      imports.map((imp) => {
        const undo = h('button', { type: 'button' }, 'Undo');
        undo.addEventListener('click', async () => {
          const ok = await confirmAction({
            title: 'Undo this import?',
            body: 'Deletes the data this import added. Data that was already there stays.',
            confirmLabel: 'Undo import',
            danger: true,
          });
          if (!ok) return;
          try {
            await sendJson('DELETE', `/imports/${encodeURIComponent(imp.id)}`);
            announce('Import undone.', 'ok');
            await showHistory(el, signal);
          } catch (err) {
            announce(`Could not undo: ${/** @type {Error} */ (err).message}`, 'error');
          }
        });
        return h(
          'li',
          { 'data-import': imp.id },
          `${formatWhen(imp.created_at)}: ${humanStatus(imp.status)}, ${imp.created} new, ${imp.updated} updated `,
          DONE.has(imp.status) ? undo : null,
        );
      }),
    ),
  );
}
