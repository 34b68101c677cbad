// The repository stands alone: every link in README.md and docs/ leads to a file inside it (and
// an anchor to a heading of that file), every repository path a doc names exists, and nothing
// points at material a user of the repository does not have.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

function walk(dir: string, keep: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path, keep));
    else if (keep(path)) out.push(path);
  }
  return out;
}

const docs = [join(root, 'README.md'), ...walk(join(root, 'docs'), (p) => p.endsWith('.md'))];
const rel = (path: string) => relative(root, path);

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const text = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const [, heading] of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = (heading ?? '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Link targets outside code: `[text](target)`, `![alt](target)` and `<target>`. */
function linksOf(markdown: string): string[] {
  const text = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  const inline = [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] ?? '');
  const auto = [...text.matchAll(/<([^>\s]+)>/g)].map((m) => m[1] ?? '').filter((t) => /[/.#]/.test(t));
  return [...inline, ...auto];
}

describe('documentation links', () => {
  it('finds the docs', () => {
    expect(docs.map(rel)).toEqual(expect.arrayContaining(['README.md', 'docs/api.md', 'docs/quickstart.md']));
  });

  for (const file of docs) {
    it(`${rel(file)}: every relative link resolves inside the repository`, () => {
      const markdown = readFileSync(file, 'utf8');
      const broken: string[] = [];
      for (const link of linksOf(markdown)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // http:, https:, mailto:
        const [pathPart = '', anchor] = link.split('#');
        const target = pathPart === '' ? file : resolve(dirname(file), decodeURIComponent(pathPart));
        if (!target.startsWith(root + sep) || !existsSync(target)) {
          broken.push(`${link} (no such file in the repository)`);
          continue;
        }
        if (anchor && statSync(target).isFile() && target.endsWith('.md')) {
          if (!anchorsOf(readFileSync(target, 'utf8')).has(anchor)) broken.push(`${link} (no such heading)`);
        }
      }
      expect(broken).toEqual([]);
    });

    it(`${rel(file)}: every repository path it names exists`, () => {
      const markdown = readFileSync(file, 'utf8');
      const missing: string[] = [];
      for (const [, path] of markdown.matchAll(/`((?:src|docs|test|bench|web)\/[^`\s]*)`/g)) {
        const clean = (path ?? '').replace(/[.,:;]+$/, '').replace(/[#:].*$/, '');
        if (/[<>*{}]/.test(clean)) continue; // a pattern such as src/vendors/<id>/
        if (!existsSync(join(root, clean))) missing.push(clean);
      }
      expect(missing).toEqual([]);
    });
  }
});

describe('no references to material outside the repository', () => {
  // Paths and names of notes that only the original authors had.
  const outside = [
    /\.\.\/shared\b/,
    /\bshared\/(?:vendor|fhir)-notes\b/,
    /vendor-notes\//,
    /fhir-notes\//,
    /\/work\//,
    /phr-app-contract/,
    /fhir-r4-mapping/,
    /\bSTYLE\.md\b/,
    /(?<![\w/.-])API\.md\b/,
    /\bvendor notes §/,
  ];
  const self = resolve(import.meta.filename);
  const files = [
    ...docs,
    join(root, '.env.example'),
    ...['src', 'test', 'bench', 'web'].flatMap((dir) =>
      walk(join(root, dir), (p) => /\.(ts|js|md|html|css|json)$/.test(p) && resolve(p) !== self),
    ),
  ];

  it('no doc, source or test file mentions them', () => {
    const hits: string[] = [];
    for (const file of files) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        for (const pattern of outside)
          if (pattern.test(line)) hits.push(`${rel(file)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(hits).toEqual([]);
  });
});

describe('README and the quickstart tell the same start', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const quickstart = readFileSync(join(root, 'docs/quickstart.md'), 'utf8');
  /** The command lines of sh blocks that start the server. */
  const startCommands = (markdown: string) =>
    [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)]
      .flatMap((m) => (m[1] ?? '').split('\n'))
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter((line) => /^npm .*&& npm start$/.test(line));
  const section = (markdown: string, heading: string) =>
    markdown.split(/^## /m).find((s) => s.startsWith(heading)) ?? '';

  it('one install command', () => {
    expect(startCommands(readme)).toEqual(['npm ci && npm start']);
    expect(startCommands(quickstart)).toEqual(['npm ci && npm start']);
  });

  it('the same Node story and port names', () => {
    for (const doc of [readme, quickstart]) {
      expect(doc).toMatch(/Node(?:\.js)? 24 is pinned as a dev dependency/);
      expect(doc).toContain('EBADENGINE');
      expect(doc).toContain('`PORT`');
      expect(doc).toContain('`SANDBOX_PORT`');
    }
  });

  it('the start section names the mobile app token lifetime, the quickstart the exclusive end', () => {
    expect(section(readme, 'The two commands')).toContain('ACCESS_TOKEN_TTL');
    expect(quickstart).toMatch(/`end` is exclusive/);
  });
});
