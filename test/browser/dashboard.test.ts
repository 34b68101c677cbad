import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { createTestApp, type TestApp, uniqueEmail } from '../helpers/app.ts';
import { CHROMIUM_PATH, freePort, hasChromium, launchChromium, screenshot } from './browser.ts';

// The whole journey a person takes in the dashboard, in a real Chromium against the real app on a
// real port, with the vendor sandbox beside it: sign up, connect through the consent page, sync,
// read the charts and the table, export, disconnect, delete the account.

const PASSWORD = 'correct horse battery staple';
const DOCS_SCREENSHOT = 'docs/img/dashboard-data.png';
const ROUTES_CALLED = [
  ['POST', '/health/sync'],
  ['GET', '/health/observations'],
  ['GET', '/health/export'],
  ['DELETE', '/auth/me'],
] as const;

if (!hasChromium) {
  describe('dashboard in a browser', () => {
    it.skip(`skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  });
}

describe.runIf(hasChromium)('dashboard in a browser', () => {
  let sandbox: Sandbox;
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const email = uniqueEmail('dash');
  const consoleErrors: string[] = [];
  const requestedUrls: string[] = [];
  const failedResponses: string[] = [];
  /** The data steps need what the sync step pulled. */
  let synced = false;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const redirectUri = `${base}/integrations/fitbit/callback`;
    sandbox = await startSandbox({
      days: 10,
      clients: [
        { clientId: 'dashboard-test', clientSecret: 'dashboard-secret', redirectUris: [redirectUri] },
      ],
    });
    t = await createTestApp({
      env: {
        ...sandbox.env,
        FITBIT_REDIRECT_URI: redirectUri,
        PUBLIC_BASE_URL: base,
        OAUTH_SUCCESS_REDIRECT: '/app/',
        SYNC_BACKFILL_DAYS: '7',
        LOG_LEVEL: 'warn',
      },
    });
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await launchChromium();
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('console', (msg) => {
      // NOTE: the sandbox's consent page has no favicon; only the dashboard's own errors count.
      if (msg.type() === 'error' && !page.url().startsWith(sandbox.url)) consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(String(err)));
    page.on('request', (req) => requestedUrls.push(req.url()));
    page.on('response', (res) => {
      if (res.status() >= 400) failedResponses.push(`${res.status()} ${res.request().method()} ${res.url()}`);
    });
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    // What the person would have seen: a screenshot and the live status line.
    await screenshot(page, `failed-${ctx.task.name.replaceAll(/\W+/g, '-')}`).catch(() => undefined);
    const status = await page
      .locator('#status')
      .textContent()
      .catch(() => null);
    console.error(`at ${page.url()}; status: ${status}; failed: ${failedResponses.join(' | ')}`);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await sandbox?.close();
  });

  /** The API as the same user, from the test: what the page should be showing. */
  async function apiToken(): Promise<string> {
    const res = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  const hasRoute = (method: 'GET' | 'POST' | 'DELETE', url: string) => t.app.hasRoute({ method, url });

  it('signs up', async () => {
    await page.goto(`${base}/app`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await screenshot(page, '1-sign-in');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Integrations', level: 1 }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(true);
    await page.locator('[data-vendor="fitbit"]').waitFor();
    await screenshot(page, '2-integrations');
  });

  it('a consent link opened in another browser links nothing', { timeout: 90_000 }, async () => {
    // Someone started the flow for this account and sent the consent URL on: a stranger's browser.
    const start = await fetch(`${base}/integrations/fitbit/authorize`, {
      headers: { authorization: `Bearer ${await apiToken()}` },
    });
    const { authorization_url: url } = (await start.json()) as { authorization_url: string };
    const stranger = await browser.newContext();
    try {
      const other = await stranger.newPage();
      await other.goto(url);
      const callback = other.waitForResponse((res) => res.url().includes('/integrations/fitbit/callback'));
      await other.getByRole('button', { name: 'Allow' }).click();
      expect((await callback).headers().location).toContain('code=BROWSER_MISMATCH');
    } finally {
      await stranger.close();
    }
    const status = await fetch(`${base}/integrations/fitbit/status`, {
      headers: { authorization: `Bearer ${await apiToken()}` },
    });
    expect(await status.json()).toMatchObject({ connected: false });
  });

  it('connects the simulated account through the sandbox consent page', { timeout: 90_000 }, async () => {
    await page
      .locator('[data-vendor="fitbit"]')
      .getByRole('button', { name: /^Connect/ })
      .click();
    await page.waitForURL((url) => url.href.startsWith(sandbox.url));
    await screenshot(page, '3-consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${base}/app`));
    const card = page.locator('[data-vendor="fitbit"][data-state="connected"]');
    await card.waitFor();
    await expect.poll(() => page.locator('#status').textContent()).toContain('Connected to Fitbit');
    expect(await card.getByRole('button', { name: /^Disconnect/ }).isVisible()).toBe(true);
    // The session survived the round-trip (the sign-in cookie), and nothing was parked in storage.
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(page.url()).not.toContain('status=');
    await screenshot(page, '4-connected');
    // The cookie that bound the flow to this browser: script cannot read it, and it goes only to /integrations.
    const [binding] = (await context.cookies()).filter((c) => c.name === 'phr_oauth_binding');
    expect(binding).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/integrations', secure: false });
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });

  it('syncs and shows the result', { timeout: 90_000 }, async (ctx) => {
    if (!hasRoute('POST', '/health/sync')) ctx.skip('POST /health/sync is not built yet');
    const done = page.locator(
      '#sync-result [data-status="succeeded"], #sync-result [data-status="partial"], #sync-result [data-status="failed"]',
    );
    // The first sync started on connect: the page follows it, then offers another.
    await page.getByRole('link', { name: 'Sync' }).click();
    await done.waitFor({ timeout: 60_000 });
    await page.locator('#start-sync:not([disabled])').waitFor();
    // The page follows the run on the live event stream, with the in-memory token as a header.
    const streamed = page.waitForRequest((r) => new URL(r.url()).pathname === '/events/stream');
    await page.getByRole('button', { name: 'Sync now' }).click();
    expect((await streamed).headers().authorization).toMatch(/^Bearer /);
    await page
      .locator('#sync-result [data-status="queued"], #sync-result [data-status="running"]')
      .first()
      .waitFor()
      .catch(() => undefined);
    await done.waitFor({ timeout: 60_000 });
    expect(await done.getAttribute('data-status')).toBe('succeeded');
    // The backfill queued on connect may already have stored everything: then this run finds it unchanged.
    const fetched = Number(
      await page.locator('.sync-row[data-vendor="fitbit"] [data-field="fetched"]').textContent(),
    );
    expect(fetched).toBeGreaterThan(0);
    await screenshot(page, '5-sync');
    synced = true;
  });

  it('draws the intraday heart rate with every sample the API returns', { timeout: 90_000 }, async (ctx) => {
    if (!hasRoute('GET', '/health/observations')) ctx.skip('GET /health/observations is not built yet');
    if (!synced) ctx.skip('needs synced data: the sync step did not run');
    await page.getByRole('link', { name: 'Data' }).click();
    const chart = page.locator('#chart-heart_rate');
    await page.locator('#chart-heart_rate[data-state="ready"]').waitFor({ timeout: 20_000 });
    const day = await page.locator('#hr-day').inputValue();
    const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

    const token = await apiToken();
    let expected = 0;
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ type: 'heart_rate', start: day, end: next, limit: '500' });
      if (cursor) query.set('cursor', cursor);
      const res = await fetch(`${base}/health/observations?${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await res.json()) as {
        items: { samples: unknown[] | null }[];
        next_cursor: string | null;
      };
      for (const item of body.items) expected += item.samples?.length || 1;
      cursor = body.next_cursor;
    } while (cursor);

    expect(expected).toBeGreaterThan(0);
    expect(Number(await chart.getAttribute('data-points'))).toBe(expected);
    expect(await chart.locator('canvas').count()).toBe(1);
    await page.locator('[data-chart] .chart-body:not([data-state="loading"])').last().waitFor();
    for (const type of ['steps', 'calories', 'distance', 'resting_heart_rate']) {
      expect(await page.locator(`#chart-${type}`).getAttribute('data-state')).toBe('ready');
    }
    await page.locator('#observations-table tbody tr').first().waitFor();
    const shot = await screenshot(page, '6-data');
    // The README's screenshot: refreshed on request only, so a test run leaves the tree clean.
    if (process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(DOCS_SCREENSHOT)) {
      await mkdir('docs/img', { recursive: true });
      await copyFile(shot, DOCS_SCREENSHOT);
    }
  });

  it('fits a 360 px wide phone screen', async (ctx) => {
    if (!hasRoute('GET', '/health/observations')) ctx.skip('GET /health/observations is not built yet');
    if (!synced) ctx.skip('needs synced data: the sync step did not run');
    await page.setViewportSize({ width: 360, height: 740 });
    await page.waitForTimeout(300); // ResizeObserver redraws the charts
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const box = await page.locator('#chart-heart_rate canvas').boundingBox();
    expect(box?.width).toBeLessThanOrEqual(360);
    await screenshot(page, '7-data-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('pages through the table', async (ctx) => {
    if (!hasRoute('GET', '/health/observations')) ctx.skip('GET /health/observations is not built yet');
    if (!synced) ctx.skip('needs synced data: the sync step did not run');
    const rows = page.locator('#observations-table tbody tr');
    expect(await rows.count()).toBe(25);
    const first = await rows.first().textContent();
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => rows.first().textContent()).not.toBe(first);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => rows.first().textContent()).toBe(first);
  });

  it('exports CSV through a Blob download (no token in any URL)', async (ctx) => {
    if (!hasRoute('GET', '/health/export')) ctx.skip('GET /health/export is not built yet');
    if (!synced) ctx.skip('needs synced data: the sync step did not run');
    const from = await page.locator('#range-from').inputValue();
    const to = await page.locator('#range-to').inputValue();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.url()).toMatch(/^blob:/);
    const csv = await readFile((await download.path()) as string, 'utf8');
    const end = new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const res = await fetch(
      `${base}/health/export?${new URLSearchParams({ format: 'csv', start: from, end })}`,
      {
        headers: { authorization: `Bearer ${await apiToken()}` },
      },
    );
    expect(csv).toBe(await res.text());
    expect(csv.split('\n').length).toBeGreaterThan(2);
  });

  it('shows a revoked grant as needs_reauth and reconnects', { timeout: 90_000 }, async (ctx) => {
    if (!synced) ctx.skip('needs the sync step');
    const person = sandbox.people.list()[0];
    expect(person).toBeDefined();
    await sandbox.admin.revokeGrant(person?.id ?? '', { notify: false });
    await page.getByRole('link', { name: 'Sync' }).click();
    await page.locator('#start-sync:not([disabled])').waitFor();
    await page.getByRole('button', { name: 'Sync now' }).click();
    const done = page.locator('#sync-result [data-status="partial"], #sync-result [data-status="failed"]');
    await done.waitFor({ timeout: 60_000 });
    expect(await page.locator('#sync-result .error-box li').count()).toBeGreaterThan(0);
    await screenshot(page, '9-sync-failed');

    await page.getByRole('link', { name: 'Integrations' }).click();
    const card = page.locator('[data-vendor="fitbit"][data-state="needs_reauth"]');
    await card.waitFor();
    // The notices banner (GET /notices) says so on every page, with a Reconnect link and a Dismiss button.
    const notice = page
      .getByRole('status', { name: 'Notices' })
      .locator('[data-kind="integration.needs_reauth"]');
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(/Fitbit access was revoked or expired/);
    expect(await notice.getByRole('link', { name: 'Reconnect' }).getAttribute('href')).toBe('#/integrations');
    await notice.getByRole('button', { name: /^Dismiss/ }).waitFor();
    expect(await card.getByRole('alert').textContent()).toMatch(/Reconnect/);
    await screenshot(page, '10-needs-reauth');
    await card.getByRole('button', { name: /^Reconnect/ }).click();
    await page.waitForURL((url) => url.href.startsWith(sandbox.url));
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.locator('[data-vendor="fitbit"][data-state="connected"]').waitFor();
    // Reconnected: the notice is resolved and the banner is empty.
    await page.getByRole('link', { name: 'Sync' }).click();
    await page.getByRole('link', { name: 'Integrations' }).click();
    await page.locator('#notices .notice').waitFor({ state: 'detached' });
  });

  it('disconnects the vendor after confirming', async () => {
    await page.getByRole('link', { name: 'Integrations' }).click();
    await page.locator('[data-vendor="fitbit"][data-state="connected"]').waitFor();
    await page.getByRole('button', { name: /^Disconnect/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Disconnect' }).click();
    await page.locator('[data-vendor="fitbit"]:not([data-state="connected"])').waitFor();
    const fitbit = page.locator('[data-vendor="fitbit"]');
    expect(await fitbit.getByRole('button', { name: /^Connect/ }).isVisible()).toBe(true);
    const res = await fetch(`${base}/integrations/fitbit/status`, {
      headers: { authorization: `Bearer ${await apiToken()}` },
    });
    expect(((await res.json()) as { connected: boolean }).connected).toBe(false);
  });

  it('deletes the account after confirming', { timeout: 15_000 }, async (ctx) => {
    if (!hasRoute('DELETE', '/auth/me')) ctx.skip('DELETE /auth/me is not built yet');
    await page.getByRole('link', { name: 'Account' }).click();
    await expect.poll(() => page.locator('#me-email').textContent()).toBe(email);
    await screenshot(page, '8-account');
    await page.getByRole('button', { name: 'Delete my account and data' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete everything' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false);
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(login.status).toBe(401);
  });

  it('never put a token in a URL nor broke the content security policy', () => {
    expect(requestedUrls.filter((u) => /token=|access_token|eyJ/.test(u))).toEqual([]);
    // Until every route the pages call exists, their 404s are expected; then nothing may fail.
    const allBuilt = ROUTES_CALLED.every(([method, url]) => hasRoute(method, url));
    expect(consoleErrors.filter((e) => allBuilt || !/status of 404/.test(e))).toEqual([]);
    expect(failedResponses.filter((r) => allBuilt || !r.startsWith('404 '))).toEqual([]);
  });
});
