import cluster from 'node:cluster';
import { ConfigError, loadConfig, type Config } from './config/index.ts';
import { createLogger } from './platform/logger.ts';
import { runPrimary } from './server/cluster.ts';
import { migrateOnStart } from './server/migrate-on-start.ts';

/** Parses config or exits non-zero listing every problem (before anything starts). */
export function loadConfigOrExit(): Readonly<Config> {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/** One server in this process, or (WEB_CONCURRENCY > 1) a primary that migrates once and forks workers. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  if (config.webConcurrency > 1 && cluster.isPrimary) {
    await migrateOnStart(config, logger);
    runPrimary({ workers: config.webConcurrency, shutdownTimeoutMs: config.http.shutdownTimeoutMs, logger });
    return;
  }
  // Imported here: the cluster primary only migrates and supervises, and the app's modules would
  // cost it most of a worker's memory for nothing.
  const { serve } = await import('./server/serve.ts');
  await serve(config, logger, { migrate: cluster.isPrimary });
}

main().catch((error: unknown) => {
  console.error('fatal:', error instanceof Error ? error.message : error);
  process.exit(1);
});
