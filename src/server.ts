import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { type DemoSandbox, startDemoSandbox } from './demo.ts';
import { buildDeps } from './deps.ts';
import { createLogger } from './log.ts';
import { withDevSecrets } from './secrets.ts';

// The process: load config, build deps, listen, shut down gracefully (HTTP, jobs, DB).
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  if (config.env !== 'production') config = await withDevSecrets(config, (m) => log.warn(m));

  let demo: DemoSandbox | undefined;
  if (config.sandbox) {
    demo = await startDemoSandbox(config, log);
    config = demo.config;
  }

  const deps = await buildDeps(config, { log });
  const app = await buildApp(deps);
  await deps.jobs.start();
  const address = await app.listen({ port: config.port, host: config.host });
  log.info(
    `PHR backend listening on ${address} (public URL ${config.publicBaseUrl}); docs at ${config.publicBaseUrl}/docs`,
  );
  process.stdout.write(`PHR backend listening on ${address}\n`);
  for (const line of demo?.instructions ?? []) process.stdout.write(`${line}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: shutting down`);
    try {
      await app.close();
      await deps.close();
      await demo?.close();
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', (s) => void stop(s));
  process.on('SIGINT', (s) => void stop(s));
}

await main();
