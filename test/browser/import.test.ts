import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectedTotals } from '../fixtures/apple-health/generate.ts';
import { createTestApp, type TestApp, uniqueEmail } from '../helpers/app.ts';
import { CHROMIUM_PATH, freePort, hasChromium, launchChromium, screenshot } from './browser.ts';

// The Import page in a real Chromium against the real app: choose the export, watch the progress
// bar, read the counts per type and the skipped reasons, see the totals in the health API, import
// the same file again (nothing new), see the day's steps on Today, undo.

const PASSWORD = 'correct horse battery staple';
const FIXTURE = join(import.meta.dirname, '../fixtures/apple-health/export-3-days.zip');
const FIXTURE_OPTIONS = { start: '2026-11-01', days: 3, malformed: true, heartRateEveryMinutes: 10 };

if (!hasChromium) {
  describe('import page in a browser', () => {
    it.skip(`skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  });
}

describe.runIf(hasChromium)('import page in a browser', () => {
  let t: TestApp;
  let dataDir: string;
  let base: string;
  let browser: Browser;
  let page: Page;
  const email = uniqueEmail('import');
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    dataDir = await mkdtemp(join(tmpdir(), 'phr-import-browser-'));
    t = await createTestApp({ env: { DATA_DIR: dataDir, PUBLIC_BASE_URL: base, LOG_LEVEL: 'warn' } });
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(String(err)));
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail')
      await screenshot(page, `import-failed-${ctx.task.name.replaceAll(/\W+/g, '-')}`).catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function apiGet(path: string): Promise<unknown> {
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    const { access_token: token } = (await login.json()) as { access_token: string };
    return (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } })).json();
  }

  it('imports an export from the file picker and shows what it did', { timeout: 90_000 }, async () => {
    await page.goto(`${base}/app`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.getByRole('link', { name: 'Import' }).click();
    await page.getByRole('heading', { name: 'Import', level: 1 }).waitFor();

    await page.getByLabel('Apple Health export (export.zip or export.xml)').setInputFiles(FIXTURE);
    const uploaded = page.waitForRequest(
      (r) => r.method() === 'POST' && new URL(r.url()).pathname === '/imports/apple-health',
    );
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const request = await uploaded;
    expect(request.headers()['content-type']).toBe('application/zip');
    expect(request.headers().authorization).toMatch(/^Bearer /);

    const done = page.locator('#import-result [data-status="succeeded"]');
    await done.waitFor({ timeout: 60_000 });
    await screenshot(page, 'import-succeeded');
    const created = Number(await done.locator('[data-field="created"]').textContent());
    expect(created).toBeGreaterThan(0);
    expect(await page.locator('#import-by-type tr[data-key="steps"] td').textContent()).toBe('297');
    expect(await page.locator('#import-skipped tr[data-key="unsupported_type"] td').textContent()).toBe('6');
    expect(await page.locator('#import-skipped tr[data-key="invalid_date"] td').textContent()).toBe('1');

    // What the dashboard's data pages read: the Health app's totals per day.
    const summary = (await apiGet('/health/summary?type=steps&start=2026-10-30&end=2026-11-05')) as {
      buckets: { date: string; sum: number }[];
    };
    expect(summary.buckets.map((b) => [b.date, b.sum])).toEqual(
      [...expectedTotals(FIXTURE_OPTIONS)].map(([d, v]) => [d, v.steps]),
    );

    // The same file again: nothing new.
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect.poll(async () => page.locator('#import-history li').count(), { timeout: 60_000 }).toBe(2);
    const again = page.locator('#import-result [data-status="succeeded"]');
    expect(Number(await again.locator('[data-field="created"]').textContent())).toBe(0);
    expect(Number(await again.locator('[data-field="unchanged"]').textContent())).toBe(created);
    expect(consoleErrors).toEqual([]);
  });

  it('shows the imported steps on Today', { timeout: 60_000 }, async () => {
    // The page's "today" is the browser's date: pin it to the export's last day.
    const last = [...expectedTotals(FIXTURE_OPTIONS)].at(-1)!;
    await page.clock.setFixedTime(new Date(`${last[0]}T12:00:00Z`));
    await page.goto(`${base}/app#/today`);
    const tile = page.locator('[data-tile="steps"]');
    await tile.locator('[data-field="value"]').waitFor();
    const shown = await tile.locator('[data-field="value"]').textContent();
    expect(Number(shown?.replaceAll(/\D/g, ''))).toBe(last[1].steps);
    expect(await tile.textContent()).toContain('so far today');
    expect(consoleErrors).toEqual([]);
    // Back where the next test starts.
    await page.getByRole('link', { name: 'Import' }).click();
    await expect.poll(async () => page.locator('#import-history li').count()).toBe(2);
  });

  it('undoes an import from the list', { timeout: 60_000 }, async () => {
    const first = page.locator('#import-history li').last();
    await first.getByRole('button', { name: 'Undo' }).click();
    await page.getByRole('button', { name: 'Undo import' }).click();
    await expect.poll(async () => page.locator('#import-history li').count()).toBe(1);
    const summary = (await apiGet('/health/summary?type=steps&start=2026-10-30&end=2026-11-05')) as {
      buckets: unknown[];
    };
    expect(summary.buckets).toEqual([]);
  });
});
