import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEASUREMENT_TYPES } from '../../src/fhir/index.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

// The dashboard's files as served (no browser needed): public, under the app's CSP, with no
// inline script, nothing from node_modules beyond uPlot's two files, and no token storage.

const WEB = join(process.cwd(), 'web');

async function webFiles(dir = WEB): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory() ? webFiles(join(dir, e.name)) : Promise.resolve([join(dir, e.name)]),
    ),
  );
  return nested.flat();
}

describe('dashboard static files', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves the page at /app and /app/ without a token, under a self-only CSP', async () => {
    for (const url of ['/app', '/app/']) {
      const res = await t.app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('<main id="main"');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
    }
  });

  it('serves every module the page imports, and uPlot', async () => {
    const js = (await webFiles()).filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(5);
    for (const file of js) {
      const res = await t.app.inject({ url: `/app/${file.slice(WEB.length + 1)}` });
      expect(res.statusCode, file).toBe(200);
      expect(res.headers['content-type']).toMatch(/javascript/);
    }
    for (const file of ['uPlot.iife.min.js', 'uPlot.min.css']) {
      expect((await t.app.inject({ url: `/app/vendor/${file}` })).statusCode).toBe(200);
    }
  });

  it('serves nothing else from node_modules, and no path outside web/', async () => {
    for (const url of [
      '/app/vendor/uPlot.cjs.js',
      '/app/vendor/../../package.json',
      '/app/vendor/%2e%2e/%2e%2e/package.json',
      '/app/../package.json',
      '/app/%2e%2e/src/config.ts',
    ]) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).not.toBe(200);
    }
  });

  it('has no inline script, no token storage and no HTML injection sinks', async () => {
    const html = await readFile(join(WEB, 'index.html'), 'utf8');
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/\ssrc="\/app\//);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    for (const file of await webFiles()) {
      if (!file.endsWith('.js')) continue;
      // Comments may name what the code avoids; only code counts.
      const code = (await readFile(file, 'utf8'))
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      expect(code, file).not.toMatch(
        /localStorage|document\.cookie|innerHTML|outerHTML|insertAdjacentHTML|eval\(/,
      );
    }
  });

  it("offers every type the health API serves in the table's filter", async () => {
    const module = '../../web/views/table.js'; // plain JS for the browser: no types to check against
    const { TYPES } = (await import(module)) as { TYPES: string[] };
    expect(TYPES).toEqual([...MEASUREMENT_TYPES]);
  });
});
