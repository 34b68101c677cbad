// Apple Health import bench: a generated export (test/fixtures/apple-health/generate.ts), read
// and mapped alone (records/s), imported end to end through the API's service and job into the
// database, then imported again (nothing written). Each step runs in a process of its own, so its
// peak RSS is its own. The floor of the same run: the zip entry inflated and decoded, not parsed.
//
//   [DATABASE_URL=...] node_modules/.bin/node bench/import/import.ts [--days 2200] [--file /tmp/x.zip]
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { parseArgs } from 'node:util';
import yauzl from 'yauzl';
import { readInWorker } from '../../src/imports/apple-health/read-in-worker.ts';
import { writeExport } from '../../test/fixtures/apple-health/generate.ts';

const { values } = parseArgs({
  options: {
    days: { type: 'string', default: '2200' },
    file: { type: 'string' },
    step: { type: 'string' },
  },
});
const days = Number(values.days);
const file = values.file ?? join(tmpdir(), `apple-health-bench-${days}d.zip`);

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const report = (o: object) => console.log(JSON.stringify({ ...o, peak_rss_mb: peakRssMb() }));

async function floor(): Promise<void> {
  const t0 = performance.now();
  const zip = await new Promise<yauzl.ZipFile>((res, rej) =>
    yauzl.open(file, { lazyEntries: true }, (e, z) => (e || !z ? rej(e) : res(z))),
  );
  const entry = await new Promise<yauzl.Entry>((res) => {
    zip.once('entry', res);
    zip.readEntry();
  });
  const stream = await new Promise<NodeJS.ReadableStream>((res, rej) =>
    zip.openReadStream(entry, (e, s) => (e || !s ? rej(e) : res(s))),
  );
  const decoder = new StringDecoder('utf8');
  let chars = 0;
  for await (const chunk of stream) chars += decoder.write(chunk as Buffer).length;
  zip.close();
  report({
    step: 'floor',
    seconds: (performance.now() - t0) / 1000,
    xml_bytes: entry.uncompressedSize,
    chars,
  });
}

async function parse(): Promise<void> {
  const t0 = performance.now();
  // As the import does: in its worker thread, heart-rate and activity records waiting in files
  // per local month, the measurements taken in batches, each dropped before the next is made.
  const work = await mkdtemp(join(tmpdir(), 'phr-import-bench-spill-'));
  let records = 0;
  let read = 0;
  let measurements = 0;
  for await (const m of readInWorker({ path: file, zone: 'Europe/Berlin', work, batchSize: 2_000 })) {
    if (m.kind === 'read') {
      records = m.records;
      read = (performance.now() - t0) / 1000;
    } else if (m.kind === 'batch') measurements += m.measurements.length;
  }
  await rm(work, { recursive: true, force: true });
  const seconds = (performance.now() - t0) / 1000;
  report({
    step: 'parse',
    records,
    seconds,
    read_seconds: read,
    records_per_s: Math.round(records / seconds),
    measurements,
  });
}

async function endToEnd(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'phr-import-bench-'));
  process.env.DATA_DIR = dataDir;
  const { startBenchApp } = await import('../lib/bench-app.ts');
  const bench = await startBenchApp();
  await bench.deps.jobs.start();
  try {
    const reg = await bench.app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: `bench-${Date.now()}@example.test`, password: 'correct horse battery' },
    });
    const userId = (reg.json() as { user: { id: number } }).user.id;
    const principal = { userId };
    const run = async (label: string) => {
      const t0 = performance.now();
      const { id } = await bench.deps.imports.upload(principal, createReadStream(file));
      for (;;) {
        const row = await bench.deps.imports.get(principal, id);
        if (row.status === 'succeeded' || row.status === 'failed') {
          const seconds = (performance.now() - t0) / 1000;
          report({
            step: label,
            status: row.status,
            error: row.error,
            seconds,
            records: row.records_read,
            records_per_s: Math.round(row.records_read / seconds),
            created: row.created,
            updated: row.updated,
            unchanged: row.unchanged,
          });
          return seconds;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const first = await run('import');
    const again = await run('re-import');
    report({ step: 'speedup', reimport_speedup: Math.round((first / again) * 100) / 100 });
  } finally {
    await bench.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (values.step === 'floor') await floor();
else if (values.step === 'parse') await parse();
else if (values.step === 'e2e') await endToEnd();
else {
  if (!existsSync(file)) {
    const t0 = performance.now();
    await writeExport(file, { start: '2020-01-01', days, malformed: true }, { zip: true });
    console.log(`generated ${file} (${days} days) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  console.log(
    `zip ${(statSync(file).size / 1e6).toFixed(1)} MB; database: ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`,
  );
  for (const step of ['floor', 'parse', 'e2e']) {
    const out = execFileSync(process.execPath, [import.meta.filename, '--file', file, '--step', step], {
      env: process.env,
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    process.stdout.write(out);
  }
}
