// The Withings sign-in and consent screen: pick a synthetic person, untick data you do not share,
// Allow or Deny. Plain HTML with a form POST (a browser, a phone, a test or curl can drive it).

import { CONSENT_STYLE, escapeHtml, SIMULATED_BANNER } from '../oauth/consent-page.ts';
import type { PersonProfile } from '../people/model.ts';
import type { PendingAuthorization } from './oauth.types.ts';

const SCOPE_TEXT: Record<string, string> = {
  'user.info': 'Your profile and devices',
  'user.metrics': 'Weight, body composition, blood pressure, heart rate',
  'user.activity': 'Activity, sleep and workouts',
  'user.sleepevents': 'Bed-in and bed-out events',
};

const STYLE = CONSENT_STYLE;

export function renderWithingsConsent(
  pending: PendingAuthorization,
  people: PersonProfile[],
  selectedPersonId: string | undefined,
  action: string,
): string {
  const selected = selectedPersonId ?? people[0]?.id;
  const personRows = people
    .map(
      (p) =>
        `<label><input type="radio" name="person" value="${escapeHtml(p.id)}"${p.id === selected ? ' checked' : ''}> ` +
        `${escapeHtml(p.displayName)} <small>(userid ${p.withings.userid}, ${escapeHtml(p.timeZone)})</small></label>`,
    )
    .join('\n');
  const scopeRows = pending.scopes
    .map(
      (s) =>
        `<label><input type="checkbox" name="scope" value="${escapeHtml(s)}" checked> ${escapeHtml(SCOPE_TEXT[s] ?? s)} <small>(${escapeHtml(s)})</small></label>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Withings - Authorize (sandbox)</title><style>${STYLE}</style></head>
<body><main>
${SIMULATED_BANNER}
<h1>Withings</h1>
<p><b>${escapeHtml(pending.clientId)}</b> would like to access your Withings data.</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="request_id" value="${escapeHtml(pending.id)}">
<fieldset><legend>Sign in as</legend>
${personRows || '<p>No people yet.</p>'}
</fieldset>
<fieldset><legend>Share</legend>
${scopeRows}
</fieldset>
<button type="submit" name="action" value="deny">Deny</button>
<button type="submit" name="action" value="allow">Allow this app</button>
</form>
</main></body></html>`;
}

export function renderWithingsError(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Withings - Error</title><style>${STYLE}</style></head><body><h1>Withings</h1><p>${escapeHtml(message)}</p></body></html>`;
}
