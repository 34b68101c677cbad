// The consent screen: pick a synthetic person, untick scopes you do not grant, Allow or Deny.
// Plain HTML with a form POST, so a browser, a test or curl can drive it.

import type { PersonProfile } from '../people/model.ts';
import type { PendingAuthorization } from './oauth.types.ts';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Phone-sized and readable: big targets, one column, no sideways scrolling at 390 px. */
export const CONSENT_STYLE = `body{font-family:system-ui,sans-serif;margin:0 auto;padding:1rem;max-width:32rem;line-height:1.4}
label{display:block;padding:.75rem;margin:.25rem 0;border:1px solid #8a8f98;border-radius:.5rem;overflow-wrap:anywhere}
button{font-size:1.1rem;min-height:2.75rem;padding:.6rem 1.4rem;margin:.5rem .5rem 0 0;border-radius:.5rem}
fieldset{border:0;padding:0;margin:1rem 0}
.simulated{background:#fff4d6;color:#3d2a00;border:2px solid #8a5a00;border-radius:.5rem;padding:.6rem .8rem;margin:0 0 1rem}
@media (prefers-color-scheme:dark){body{background:#12151a;color:#e6e9ed}.simulated{background:#3a2f12;color:#f3d27a}}`;

/** Says plainly that this is the project's vendor sandbox, not the vendor. */
export const SIMULATED_BANNER = `<p class="simulated" role="note"><strong>Simulated account.</strong> This is the PHR vendor sandbox: the people below and their data are made up, and nothing here signs in to the real service.</p>`;

export function renderConsentPage(
  pending: PendingAuthorization,
  people: PersonProfile[],
  selectedPersonId: string | undefined,
): string {
  const selected = selectedPersonId ?? people[0]?.id;
  const personRows = people
    .map(
      (p) =>
        `<label><input type="radio" name="person" value="${escapeHtml(p.id)}"${p.id === selected ? ' checked' : ''}> ` +
        `${escapeHtml(p.displayName)} <small>(${escapeHtml(p.id)}, ${escapeHtml(p.timeZone)})</small></label>`,
    )
    .join('\n');
  const scopeRows = pending.scopes
    .map(
      (s) =>
        `<label><input type="checkbox" name="scope" value="${escapeHtml(s)}" checked> ${escapeHtml(s)}</label>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - Google Accounts (sandbox)</title><style>${CONSENT_STYLE}</style></head>
<body><main>
${SIMULATED_BANNER}
<h1>Choose an account</h1>
<p>to continue to <b>${escapeHtml(pending.clientId)}</b></p>
<form method="post" action="/o/oauth2/v2/auth/consent">
<input type="hidden" name="request_id" value="${escapeHtml(pending.id)}">
<fieldset><legend>Account</legend>
${personRows || '<p>No people yet.</p>'}
</fieldset>
<fieldset><legend>This app wants access to</legend>
${scopeRows}
</fieldset>
<button type="submit" name="action" value="deny">Deny</button>
<button type="submit" name="action" value="allow">Allow</button>
</form>
</main></body></html>`;
}

export function renderErrorPage(title: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body><h1>Access blocked: authorization error</h1><h2>${escapeHtml(title)}</h2><p>${escapeHtml(message)}</p></body></html>`;
}
