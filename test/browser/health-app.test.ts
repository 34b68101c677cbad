import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import { createTestApp, type TestApp, uniqueEmail } from '../helpers/app.ts';
import { CHROMIUM_PATH, freePort, hasChromium, launchChromium, screenshot } from './browser.ts';

// The dashboard as a person uses it, in a real Chromium at 1280×800 and at 390×844: sign up,
// connect Fitbit and Withings through the sandbox's consent pages, watch the first sync's
// progress, read Today and every trend, change units, reload and open a new tab (still signed in),
// sign out (signed out everywhere). Every page passes axe-core with no serious or critical
// violation at both sizes; Today's render time after sign-in is measured and printed.

const PASSWORD = 'correct horse battery staple';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const AXE = 'node_modules/axe-core/axe.min.js';
const PAGES = [
  '#/today',
  '#/trends',
  '#/trends/steps',
  '#/trends/sleep',
  '#/trends/blood_pressure',
  '#/trends/resting_heart_rate',
  '#/sync',
  '#/integrations',
  '#/data',
  '#/account',
];
/** docs/img screenshots: refreshed on request (UPDATE_SCREENSHOTS=1) or when missing. */
const DOC_SHOTS = new Set([
  'today',
  'trend-resting_heart_rate',
  'trend-sleep',
  'sync',
  'trend-blood_pressure',
]);

if (!hasChromium) {
  describe('the dashboard as a health app', () => {
    it.skip(`skipped: no Chromium at ${CHROMIUM_PATH}`);
  });
}

describe.runIf(hasChromium)('the dashboard as a health app', () => {
  let sandbox: Sandbox;
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let desktop: BrowserContext;
  let page: Page;
  const email = uniqueEmail('health-app');
  const pageErrors: string[] = [];
  const failed: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    sandbox = await startSandbox({
      days: 45,
      clients: [
        {
          clientId: 'dash-app',
          clientSecret: 'dash-secret',
          redirectUris: [`${base}/integrations/fitbit/callback`],
        },
      ],
      withingsClients: [
        {
          clientId: 'dash-withings',
          clientSecret: 'dash-withings-secret',
          redirectUris: [`${base}/integrations/withings/callback`],
        },
      ],
    });
    t = await createTestApp({
      env: {
        ...sandbox.env,
        PUBLIC_BASE_URL: base,
        // No OAUTH_SUCCESS_REDIRECT: a flow begun in the dashboard returns to it by default.
        SYNC_BACKFILL_DAYS: '40',
        LOG_LEVEL: 'warn',
      },
    });
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await launchChromium();
    // NOTE: axe is injected as a script tag, which the app's CSP (script-src 'self') would refuse;
    // the CSP itself is checked by test/browser/dashboard.test.ts.
    desktop = await browser.newContext({ viewport: DESKTOP, bypassCSP: true });
    page = await watch(await desktop.newPage());
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    await screenshot(page, `health-app-failed-${ctx.task.name.replaceAll(/\W+/g, '-')}`).catch(
      () => undefined,
    );
    console.error(
      `at ${page.url()}; failed responses: ${failed.join(' | ')}; errors: ${pageErrors.join(' | ')}`,
    );
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await sandbox?.close();
  });

  async function watch(p: Page): Promise<Page> {
    p.on('pageerror', (err) => pageErrors.push(String(err)));
    p.on('console', (msg) => {
      if (msg.type() === 'error' && p.url().startsWith(base)) pageErrors.push(msg.text());
    });
    p.on('response', (res) => {
      if (res.status() >= 400 && res.url().startsWith(base))
        failed.push(`${res.status()} ${res.request().method()} ${res.url()}`);
    });
    return p;
  }

  /** Serious and critical axe-core violations on the page as it is now. */
  async function axeViolations(p: Page): Promise<string[]> {
    if (!(await p.evaluate(() => 'axe' in window))) await p.addScriptTag({ path: AXE });
    const result = await p.evaluate(async () => {
      // biome-ignore lint/suspicious/noExplicitAny: axe-core's global, injected above
      const axe = (window as any).axe;
      return axe.run(document, { resultTypes: ['violations'] });
    });
    return (result.violations as { id: string; impact: string; nodes: { target: string[] }[] }[])
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  /** Opens a page of the dashboard and waits until it has loaded what it shows. */
  async function open(p: Page, hash: string): Promise<void> {
    await p.evaluate((h) => {
      location.hash = h;
    }, hash);
    await p.locator('#main[data-view]').waitFor();
    await p.waitForFunction(() => document.querySelectorAll('#main [aria-busy="true"]').length === 0, null, {
      timeout: 20_000,
    });
  }

  async function noSidewaysScroll(p: Page): Promise<number> {
    return p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  }

  async function shot(p: Page, name: string, size: 'desktop' | 'phone'): Promise<void> {
    const file = await screenshot(p, `health-app-${name}-${size}`);
    const doc = `docs/img/dashboard-${name}-${size}.png`;
    if (DOC_SHOTS.has(name) && (process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(doc))) {
      await mkdir('docs/img', { recursive: true });
      await copyFile(file, doc);
    }
  }

  async function connect(vendor: 'fitbit' | 'withings', allow: RegExp): Promise<void> {
    await open(page, '#/integrations');
    await page
      .locator(`[data-vendor="${vendor}"]`)
      .getByRole('button', { name: /^Connect/ })
      .click();
    await page.waitForURL((url) => url.href.startsWith(sandbox.url));
    // The sandbox says it is not the real service, and fits a phone.
    expect(await page.getByRole('note').textContent()).toContain('Simulated account');
    if (vendor === 'fitbit') {
      await page.setViewportSize(PHONE);
      expect(await noSidewaysScroll(page)).toBeLessThanOrEqual(0);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'health-app-consent-phone');
      await page.setViewportSize(DESKTOP);
    }
    const back = page.waitForResponse((res) => res.url().includes(`/integrations/${vendor}/callback`));
    await page.getByRole('button', { name: allow }).click();
    expect((await back).headers().location).toMatch(/^\/app\/\?status=connected&vendor=/);
    await page.waitForURL((url) => url.href.startsWith(`${base}/app`));
    // The return cookie was spent on the way back.
    expect((await desktop.cookies()).filter((c) => c.name === 'phr_oauth_return')).toEqual([]);
    await page.locator(`[data-vendor="${vendor}"][data-state="connected"]`).waitFor();
  }

  it('signs up and lands on an empty Today that says what to do', async () => {
    await page.goto(`${base}/app`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Integrations', level: 1 }).waitFor();
    // No refresh token where a script could read it: not in the page, not in storage.
    const [cookie] = (await desktop.cookies()).filter((c) => c.name === 'phr_refresh');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/auth/session' });
    expect(
      await page.evaluate(
        () => document.cookie + JSON.stringify(sessionStorage) + JSON.stringify(localStorage),
      ),
    ).not.toContain(cookie?.value ?? 'missing');
    await open(page, '#/today');
    expect(await page.locator('[data-tile="empty"]').textContent()).toContain('Connect Fitbit or Withings');
    await open(page, '#/sync');
    expect(await page.locator('[data-status="nothing-connected"]').textContent()).toContain(
      'Nothing is connected',
    );
    expect(await page.getByRole('button', { name: 'Sync now' }).isDisabled()).toBe(true);
  });

  it('connects Fitbit and Withings through the sandbox and shows the first sync’s progress', {
    timeout: 120_000,
  }, async () => {
    await connect('fitbit', /^Allow$/);
    await open(page, '#/sync');
    // The backfill runs: its progress is determinate (days read of days planned) until it ends.
    const row = page.locator('#sync-result .sync-row[data-vendor="fitbit"]');
    await row.waitFor();
    const done = page.locator('#sync-result [data-status="succeeded"]');
    const progress = page.locator('#sync-result .sync-progress[data-days-total]');
    await Promise.race([done.waitFor({ timeout: 90_000 }), progress.first().waitFor({ timeout: 90_000 })]);
    // Read in one step: the bar goes away when the run ends.
    const seen = await page.evaluate(() => {
      const el = document.querySelector<HTMLElement>('#sync-result .sync-progress[data-days-total]');
      return el ? { done: Number(el.dataset.daysDone), total: Number(el.dataset.daysTotal) } : null;
    });
    if (seen) {
      expect(seen.total).toBeGreaterThan(0);
      expect(seen.done).toBeLessThanOrEqual(seen.total);
    }
    await done.waitFor({ timeout: 90_000 });
    await connect('withings', /^Allow this app$/);
    await open(page, '#/sync');
    const finished = page.locator(
      '#sync-result [data-status="succeeded"], #sync-result [data-status="partial"], #sync-result [data-status="failed"]',
    );
    await finished.waitFor({ timeout: 90_000 });
    expect(await finished.getAttribute('data-status'), (await finished.textContent()) ?? '').toBe(
      'succeeded',
    );
    await page.locator('#sync-history tr[data-trigger="backfill"]').nth(1).waitFor();
    await open(page, '#/sync');
    expect(await page.locator('[data-source="fitbit"] [data-field="last"]').textContent()).toMatch(/ago|now/);
    expect(await page.locator('[data-source="withings"]').count()).toBe(1);
    await page.locator('[data-source="fitbit"] summary').click();
    expect(
      await page.locator('[data-source="fitbit"] .type-counts li[data-type="steps"]').textContent(),
    ).toMatch(/Steps: \d+/);
  });

  it('renders Today within a second of signing in, with goals, sleep, baselines and freshness', {
    timeout: 60_000,
  }, async () => {
    // A fresh browser: sign in and time until Today shows its numbers.
    const ctx = await browser.newContext({ viewport: DESKTOP, bypassCSP: true });
    try {
      const p = await watch(await ctx.newPage());
      await p.goto(`${base}/app`);
      await p.getByLabel('Email').fill(email);
      await p.getByLabel('Password').fill(PASSWORD);
      const started = Date.now();
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.locator('[data-tile="sources"]').waitFor();
      const ms = Date.now() - started;
      console.log(`Today rendered ${ms} ms after sign-in (target < 1000 ms; machine shared)`);
      expect(ms).toBeLessThan(5000);
    } finally {
      await ctx.close();
    }
    await open(page, '#/today');
    expect(await page.locator('[data-tile="steps"] [data-field="value"]').textContent()).toMatch(/\d steps/);
    expect(await page.locator('[data-tile="steps"] progress').count()).toBe(1);
    expect(await page.locator('[data-tile="sleep"] [data-field="value"]').textContent()).toMatch(
      /\d+ h \d{2} min/,
    );
    expect(await page.locator('[data-tile="sleep"] .stage-strip span').count()).toBeGreaterThan(1);
    expect(
      await page.locator('[data-tile="resting_heart_rate"] [data-field="baseline"]').textContent(),
    ).toMatch(/your usual \d+ bpm – \d+ bpm/);
    expect(await page.locator('[data-tile="resting_heart_rate"] .band').count()).toBe(1);
    expect(await page.locator('[data-tile="body_weight"] [data-field="value"]').textContent()).toMatch(
      /\d kg$/,
    );
    expect(await page.locator('[data-tile="blood_pressure"] [data-field="value"]').textContent()).toMatch(
      /^\d+\/\d+ mmHg$/,
    );
    expect(await page.locator('[data-tile="sources"] li[data-vendor="fitbit"]').textContent()).toMatch(
      /Fitbit, synced/,
    );
    await shot(page, 'today', 'desktop');
  });

  it('charts every type with data, sleep as stages per night and blood pressure as pairs', {
    timeout: 60_000,
  }, async () => {
    await open(page, '#/trends');
    const cards = page.locator('.trend-card');
    expect(await cards.count()).toBeGreaterThan(8);
    // Values visible without hovering, in human names and units.
    const steps = page.locator('.trend-card[data-type="steps"]');
    expect(await steps.locator('h2').textContent()).toBe('Steps');
    expect(await steps.locator('.stats').textContent()).toMatch(
      /Latest [\d,.]+ steps.*Average [\d,.]+ steps/,
    );
    expect(await page.locator('.trend-card[data-type="spo2"] h2').textContent()).toBe('Blood oxygen (SpO₂)');

    await open(page, '#/trends/steps');
    const chart = page.locator('#trend-chart-steps svg');
    expect(await chart.locator('rect.bar').count()).toBeGreaterThan(20);
    expect(await page.locator('[data-stat="average"] dd').textContent()).toMatch(/steps$/);
    await page.getByRole('button', { name: 'Week' }).click();
    await page.waitForFunction(
      () => document.querySelectorAll('#trend-chart-steps svg rect.bar').length <= 7,
    );
    const thisWeek = await page.locator('#trend-period').textContent();
    await page.getByRole('button', { name: '‹ Previous' }).click();
    await expect.poll(() => page.locator('#trend-period').textContent()).not.toBe(thisWeek);
    await page.getByRole('button', { name: 'Next ›' }).click();
    await expect.poll(() => page.locator('#trend-period').textContent()).toBe(thisWeek);
    expect(await page.getByRole('button', { name: 'Next ›' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Month' }).click();

    await open(page, '#/trends/resting_heart_rate');
    expect(await page.locator('#trend-chart-resting_heart_rate svg rect.band').count()).toBe(1);
    expect(await page.locator('[data-stat="baseline"] dd').textContent()).toMatch(/\d+ bpm – \d+ bpm/);
    await shot(page, 'trend-resting_heart_rate', 'desktop');

    await open(page, '#/trends/sleep');
    expect(await page.locator('#trend-chart-sleep svg rect.stage').count()).toBeGreaterThan(20);
    expect(await page.locator('.night tr[data-stage]').count()).toBeGreaterThan(1);
    // The latest night's hypnogram: one rect per stage period, the same periods in its table.
    const periods = await page.locator('#hypnogram-chart svg rect.stage').count();
    expect(periods).toBeGreaterThan(3);
    expect(await page.locator('#hypnogram-table tbody tr').count()).toBe(periods);
    expect(await page.locator('#hypnogram-summary').textContent()).toMatch(/from \d\d:\d\d to \d\d:\d\d/);
    await shot(page, 'trend-sleep', 'desktop');

    await open(page, '#/trends/blood_pressure');
    const pairs = page.locator('#trend-chart-blood_pressure svg line.range');
    expect(await pairs.count()).toBeGreaterThan(0);
    expect(await page.locator('[data-stat="latest"] dd').textContent()).toMatch(/^\d+\/\d+ mmHg/);
    await shot(page, 'trend-blood_pressure', 'desktop');
    await open(page, '#/sync');
    await shot(page, 'sync', 'desktop');
  });

  it('shows miles, pounds and °F once the account prefers them, and keeps them', async () => {
    await open(page, '#/account');
    await page.getByLabel('Miles').check();
    await page.getByLabel('Pounds').check();
    await page.getByLabel('°F').check();
    await page.getByLabel('Steps').fill('8000');
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toContain('Preferences saved');
    await open(page, '#/today');
    expect(await page.locator('[data-tile="body_weight"] [data-field="value"]').textContent()).toMatch(
      /\d lb$/,
    );
    expect(await page.locator('[data-tile="steps"]').textContent()).toContain('goal of 8,000 steps');
    await open(page, '#/trends/distance');
    expect(await page.locator('[data-stat="average"] dd').textContent()).toMatch(/ mi$/);
    // Stored on the account, not in this browser.
    const res = await page.evaluate(async () =>
      (
        await fetch('/auth/session/refresh', { method: 'POST', headers: { 'x-phr-session': 'cookie' } })
      ).json(),
    );
    const prefs = await fetch(`${base}/account/preferences`, {
      headers: { authorization: `Bearer ${res.access_token}` },
    });
    expect((await prefs.json()).units).toEqual({ distance: 'mi', weight: 'lb', temperature: 'F' });
  });

  it('stays signed in across a reload, a bookmark and a new tab', async () => {
    await open(page, '#/trends/sleep');
    await page.reload();
    await page.locator('#main[data-view="#/trends/sleep"]').waitFor();
    expect(page.url()).toContain('#/trends/sleep');
    const tab = await watch(await desktop.newPage());
    await tab.goto(`${base}/app#/sync`);
    await tab.getByRole('heading', { name: 'Sources and sync', level: 1 }).waitFor();
    await tab.close();
  });

  it('fits a 390×844 phone on every page with no serious accessibility violation; ranges, export, units and sign-out by touch', {
    timeout: 120_000,
  }, async () => {
    const phone = await browser.newContext({
      viewport: PHONE,
      bypassCSP: true,
      isMobile: true,
      hasTouch: true,
      acceptDownloads: true,
    });
    try {
      const p = await watch(await phone.newPage());
      await p.goto(`${base}/app`);
      await p.getByLabel('Email').fill(email);
      await p.getByLabel('Password').fill(PASSWORD);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.locator('[data-tile="sources"]').waitFor();
      for (const hash of PAGES) {
        await open(p, hash);
        expect(await noSidewaysScroll(p), hash).toBeLessThanOrEqual(0);
        for (const svg of await p.locator('#main svg').all()) {
          const box = await svg.boundingBox();
          expect(box && box.x + box.width, hash).toBeLessThanOrEqual(PHONE.width);
        }
        expect(await axeViolations(p), hash).toEqual([]);
        const name = hash.slice(2).replaceAll('/', '-');
        if (
          ['today', 'trends-resting_heart_rate', 'trends-sleep', 'sync', 'trends-blood_pressure'].includes(
            name,
          )
        ) {
          await shot(p, name.replace('trends-', 'trend-'), 'phone');
        }
      }
      // The rest of the journey with a thumb: a trend's ranges, an export, units back, sign out.
      await open(p, '#/trends/steps');
      await p.getByRole('button', { name: 'Week' }).tap();
      await p.waitForFunction(() => document.querySelectorAll('#trend-chart-steps svg rect.bar').length <= 7);
      await open(p, '#/data');
      const [download] = await Promise.all([
        p.waitForEvent('download'),
        p.getByRole('button', { name: 'Download CSV' }).tap(),
      ]);
      expect(download.suggestedFilename()).toMatch(/\.csv$/);
      await open(p, '#/account');
      await p.getByLabel('Kilometres').check();
      await p.getByRole('button', { name: 'Save preferences' }).tap();
      await expect.poll(() => p.locator('#status').textContent()).toContain('Preferences saved');
      await p.getByRole('button', { name: 'Sign out' }).tap();
      await p.getByRole('heading', { name: 'Sign in' }).waitFor();
      await p.reload();
      await p.getByRole('heading', { name: 'Sign in' }).waitFor();
    } finally {
      await phone.close();
    }
  });

  it('has no serious accessibility violation on any page at 1280×800', { timeout: 60_000 }, async () => {
    for (const hash of PAGES) {
      await open(page, hash);
      expect(await axeViolations(page), hash).toEqual([]);
    }
  });

  it('leaves a page while it loads without the next page showing its aborted requests as an error', async () => {
    await open(page, '#/today');
    await page.evaluate(async () => {
      location.hash = '#/sync';
      await new Promise((resolve) => setTimeout(resolve, 0)); // the sync page has started its requests
      location.hash = '#/integrations';
    });
    await page.getByRole('heading', { name: 'Integrations', level: 1 }).waitFor();
    await page.locator('[data-vendor="fitbit"]').waitFor();
    await page.waitForTimeout(500); // the aborted requests have settled
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Integrations');
    expect(await page.locator('#main .error:not(:empty)').count()).toBe(0);
  });

  it('signs out everywhere: other tabs too, and a reload stays signed out', async () => {
    const other = await watch(await desktop.newPage());
    await other.goto(`${base}/app#/today`);
    await other.locator('[data-tile="sources"]').waitFor();
    await open(page, '#/account');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await other.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect((await desktop.cookies()).filter((c) => c.name === 'phr_refresh')).toEqual([]);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await other.close();
  });

  it('made no request that failed and threw no script error', () => {
    expect(pageErrors).toEqual([]);
    expect(failed).toEqual([]);
  });
});
