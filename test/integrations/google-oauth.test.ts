import { describe, expect, it } from 'vitest';
import type { OutboundHttp } from '../../src/http/outbound.ts';
import { createGoogleOAuth } from '../../src/vendors/fitbit/oauth.ts';

// The Google OAuth object on its own: plain http is allowed only for loopback URLs.
function oauthWith(tokenUrl: string) {
  const sent: string[] = [];
  const http: OutboundHttp = {
    async send(req) {
      sent.push(String(req.url));
      return Response.json({ access_token: 'at', token_type: 'Bearer', expires_in: 3599 });
    },
    request: async () => {
      throw new Error('unused');
    },
    json: async () => {
      throw new Error('unused');
    },
  };
  const oauth = createGoogleOAuth(
    {
      clientId: 'client',
      clientSecret: 'secret',
      redirectUri: 'https://phr.example/integrations/fitbit/callback',
      authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
      tokenUrl,
      revokeUrl: tokenUrl.replace('/token', '/revoke'),
    },
    http,
    () => new Date('2026-11-30T12:00:00Z'),
  );
  return { oauth, sent };
}

describe('Google OAuth client', () => {
  it('refuses plain http to a non-loopback host without sending anything', async () => {
    const { oauth, sent } = oauthWith('http://oauth2.example.test/token');
    await expect(oauth.refresh('1//refresh')).rejects.toThrow();
    expect(sent).toEqual([]);
  });

  it('allows plain http on loopback (the sandbox) and https anywhere', async () => {
    for (const url of ['http://127.0.0.1:9999/token', 'https://oauth2.googleapis.com/token']) {
      const { oauth, sent } = oauthWith(url);
      const tokens = await oauth.refresh('1//refresh');
      expect(tokens).toMatchObject({ accessToken: 'at', refreshToken: null, scopes: null });
      expect(tokens.accessExpiresAt?.toISOString()).toBe('2026-11-30T12:59:59.000Z');
      expect(sent).toEqual([url]);
    }
  });

  it('builds the authorization URL Google expects', () => {
    const { oauth } = oauthWith('https://oauth2.googleapis.com/token');
    const url = oauth.authorizationUrl({
      state: 's',
      codeChallenge: 'c',
      scopes: ['a', 'b'],
      forceConsent: false,
      loginHint: 'someone',
    });
    expect(url.origin + url.pathname).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'client',
      redirect_uri: 'https://phr.example/integrations/fitbit/callback',
      response_type: 'code',
      scope: 'a b',
      state: 's',
      code_challenge: 'c',
      code_challenge_method: 'S256',
      access_type: 'offline',
      include_granted_scopes: 'true',
      login_hint: 'someone',
    });
  });
});
