/**
 * Whether a request's Accept-Encoding allows a gzip answer (RFC 9110 §12.5.3).
 *
 *   acceptsGzip(header) -> boolean: `gzip` (or `x-gzip`) with q > 0, or `*` with q > 0 when gzip
 *                          is not named; absent or unparsable: false (identity is always acceptable)
 *
 * Browsers and Dart's HttpClient (the Flutter app's) send `gzip` by default.
 */

/** The codings an answer rendered in advance comes in (src/http/rendered-page.ts). */
export type ContentCoding = 'identity' | 'gzip';
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  let named: boolean | undefined;
  let any = false;
  for (const entry of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [coding = '', ...params] = entry.split(';');
    const name = coding.trim().toLowerCase();
    if (name !== 'gzip' && name !== 'x-gzip' && name !== '*') continue;
    const q = params.map((p) => /^\s*q\s*=\s*([\d.]+)\s*$/i.exec(p)).find(Boolean);
    const allowed = q ? Number(q[1]) > 0 : true;
    if (name === '*') any = allowed;
    else named = (named ?? false) || allowed;
  }
  return named ?? any;
}
