// Export buttons: the file is fetched with the bearer header and saved from a Blob, so the
// token never appears in a URL (history, logs, Referer).

import { request } from '../lib/api.js';
import { announce, h } from '../lib/dom.js';

const FORMATS = [
  { format: 'csv', label: 'CSV', ext: 'csv', accept: 'text/csv' },
  { format: 'ndjson', label: 'FHIR NDJSON', ext: 'ndjson', accept: 'application/fhir+ndjson' },
  { format: 'bundle', label: 'FHIR Bundle', ext: 'json', accept: 'application/fhir+json' },
];

/** @param {() => { start: string, end: string }} getRange */
export function exportSection(getRange) {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'export-title' },
    h('h2', { id: 'export-title' }, 'Export'),
    h('p', { class: 'muted' }, 'Downloads every observation in the chosen date range.'),
    h(
      'div',
      { class: 'actions' },
      FORMATS.map((f) =>
        h(
          'button',
          {
            type: 'button',
            'data-format': f.format,
            onclick: (/** @type {Event} */ e) => download(f, getRange(), e),
          },
          `Download ${f.label}`,
        ),
      ),
    ),
  );
}

/**
 * @param {{ format: string, label: string, ext: string, accept: string }} f
 * @param {{ start: string, end: string }} range
 * @param {Event} event
 */
async function download(f, range, event) {
  const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
  button.disabled = true;
  announce(`Preparing the ${f.label} export…`);
  try {
    const params = new URLSearchParams({ format: f.format, start: range.start, end: range.end });
    const res = await request(`/health/export?${params}`, { accept: f.accept });
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const link = h('a', { href: url, download: fileName(res, `phr-${range.start}-${range.end}.${f.ext}`) });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    announce(`${f.label} export downloaded.`, 'ok');
  } catch (err) {
    announce(`Export failed: ${/** @type {Error} */ (err).message}`, 'error');
  } finally {
    button.disabled = false;
  }
}

/** The server's file name (Content-Disposition), else ours. @param {Response} res @param {string} fallback */
function fileName(res, fallback) {
  const header = res.headers.get('content-disposition') ?? '';
  const match = /filename="?([^";]+)"?/i.exec(header);
  return match?.[1] ? match[1].replace(/[/\\]/g, '_') : fallback;
}
