// The page a browser lands on after the OAuth callback when OAUTH_SUCCESS_REDIRECT is unset:
// plain HTML a person can read, telling them to return to the app (or open the web dashboard,
// which restores its session after the round trip: docs/dashboard.md).

const MESSAGES: Record<string, string> = {
  ACCESS_DENIED: 'Access was not granted. You can try again from the app.',
  INVALID_STATE: 'This sign-in link is not valid or was already used. Start again from the app.',
  STATE_EXPIRED: 'This sign-in link expired. Start again from the app.',
  BROWSER_MISMATCH:
    'This sign-in was not started in this browser, so nothing was connected. If someone sent you the link, do not use it. To connect your own account, start again from the app.',
  VENDOR_ACCOUNT_LINKED_ELSEWHERE:
    'This provider account is already connected to another account here, so it was not connected again. Disconnect it there first, or sign in to the provider with another account.',
  EXCHANGE_FAILED: 'The provider did not accept the sign-in. Start again from the app.',
  NO_SCOPES_GRANTED:
    'No health data was shared, so nothing can be synced. Start again and allow at least one type.',
  IDENTITY_FAILED: 'The provider account could not be identified. Start again from the app.',
  VENDOR_UNAVAILABLE: 'The provider is temporarily unavailable. Try again in a few minutes.',
  UNKNOWN_VENDOR: 'This provider is not supported.',
};

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

export function renderOAuthResult(query: { status?: string; vendor?: string; code?: string }): string {
  const vendor = query.vendor ? escapeHtml(query.vendor) : 'the provider';
  const ok = query.status === 'connected';
  const title = ok ? 'Connected' : 'Not connected';
  const message = ok
    ? `Your ${vendor} account is connected. You can close this page and return to the app.`
    : escapeHtml(MESSAGES[query.code ?? ''] ?? 'Something went wrong. Start again from the app.');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}
h1{color:${ok ? '#166534' : '#991b1b'}}</style></head>
<body><h1>${title}</h1><p>${message}</p>${ok ? '' : `<p><small>Code: ${escapeHtml(query.code ?? 'UNKNOWN')}</small></p>`}
<p><a href="/app/">Open the web dashboard</a></p></body></html>
`;
}
