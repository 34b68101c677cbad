// The consent screen: pick a synthetic person, untick scopes you do not grant, Allow or Deny.
// Plain HTML with a form POST, so a browser, a test or curl can drive it.

import type { PersonProfile } from '../people/model.ts';
import type { PendingAuthorization } from './oauth.types.ts';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

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
        `${escapeHtml(p.displayName)} <small>(${escapeHtml(p.id)}, ${escapeHtml(p.timeZone)})</small></label><br>`,
    )
    .join('\n');
  const scopeRows = pending.scopes
    .map(
      (s) =>
        `<label><input type="checkbox" name="scope" value="${escapeHtml(s)}" checked> ${escapeHtml(s)}</label><br>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - Google Accounts (sandbox)</title></head>
<body>
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
</body></html>`;
}

export function renderErrorPage(title: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body><h1>Access blocked: authorization error</h1><h2>${escapeHtml(title)}</h2><p>${escapeHtml(message)}</p></body></html>`;
}
