import { buildApp } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config/index.ts';
import { migrate, openDatabase } from './db/index.ts';
import { createLogger } from './platform/logger.ts';

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

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  const started = Date.now();
  const database = await openDatabase(config.database);
  if (config.migrateOnStart) {
    const result = await migrate(database);
    if (result.applied.length > 0) logger.info({ applied: result.applied }, 'migrations applied');
  }
  const app = await buildApp(config, { database, logger });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.ctx.state.shuttingDown = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.http.shutdownTimeoutMs);
    timer.unref();
    try {
      await app.close();
      await database.close();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  logger.info(
    {
      port: config.port,
      database: database.kind,
      redis: config.redis ? 'redis' : 'in-process',
      ms: Date.now() - started,
    },
    `Smart Trip Planner listening on http://localhost:${config.port} (API docs at /api/docs/)`,
  );
}

main().catch((error: unknown) => {
  console.error('fatal:', error instanceof Error ? error.message : error);
  process.exit(1);
});
