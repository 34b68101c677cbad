import { buildApp } from './app.ts';
import { type DemoSandbox, startDemoSandbox } from './demo.ts';
import { buildDeps } from './deps.ts';
import { closeOnSignals, loadConfigOrExit, prepareProcess } from './process.ts';

// The process: load config, build deps, listen, shut down gracefully (HTTP, jobs, DB).
const prepared = await prepareProcess(loadConfigOrExit());
const { log } = prepared;
let { config } = prepared;

let demo: DemoSandbox | undefined;
if (config.sandbox) {
  demo = await startDemoSandbox(config, log);
  config = demo.config;
}

const deps = await buildDeps(config, { log });
const app = await buildApp(deps);
await deps.jobs.start();
// NOTE: before listening and the demo's webhook registration, so a signal at any point after
// this shuts down gracefully instead of killing the process mid-registration.
closeOnSignals(log, 'shutting down', async () => {
  await app.close();
  await deps.close();
  await demo?.close();
});
const address = await app.listen({ port: config.port, host: config.host });
log.info(
  `PHR backend listening on ${address} (public URL ${config.publicBaseUrl}); docs at ${config.publicBaseUrl}/docs`,
);
process.stdout.write(`PHR backend listening on ${address}\n`);
for (const line of demo?.instructions ?? []) process.stdout.write(`${line}\n`);
if (demo) {
  const port = (app.server.address() as { port: number }).port;
  await demo.registerWebhook(`http://127.0.0.1:${port}`).catch((err: unknown) => {
    log.warn({ err }, 'demo mode: webhook registration failed; scheduled syncs still run');
  });
}
