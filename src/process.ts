import { type Config, ConfigError, loadConfig } from './config.ts';
import { createLogger, type Log, logDestination } from './log.ts';
import { withDevSecrets } from './secrets.ts';

// What every long-running entry point (server, worker) does before and after its own work.

/** Parses the environment; on a bad configuration prints every problem and exits 1. */
export function loadConfigOrExit(): Readonly<Config> {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** The logger, and outside production the development secrets generated once into DATA_DIR. */
export async function prepareProcess(
  config: Readonly<Config>,
): Promise<{ config: Readonly<Config>; log: Log }> {
  const log = createLogger(config.logLevel, logDestination(config.env));
  if (config.env === 'production') return { config, log };
  return { config: await withDevSecrets(config, (m) => log.warn(m)), log };
}

/** SIGTERM/SIGINT run `close` once and exit 0 (1 if it fails); a second signal exits at once. */
export function closeOnSignals(log: Log, what: string, close: () => Promise<void>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: ${what}`);
    try {
      await close();
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', (s) => void stop(s));
  process.on('SIGINT', (s) => void stop(s));
}
