import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { buildApp } from '../app.ts';
import type { Config } from '../config/index.ts';
import { openDatabase } from '../db/index.ts';
import { migrateOnStart } from './migrate-on-start.ts';
import { serveMetricsToPrimary } from '../platform/metrics.ts';

/**
 * How long the server goes on accepting after SIGTERM before it closes the listening socket.
 * Closing at once resets the connections still queued in the kernel and the requests already
 * sent on idle keep-alive connections but not yet read: requests the client sent before the
 * signal, lost (`npm run faults`, sigterm-drain: under load, requests on the wire 30 ms before
 * the signal were reset or answered 503). A moment of normal service lets them be read first.
 */
const ACCEPT_GRACE_MS = 250;

/**
 * Runs one HTTP server in this process until SIGTERM/SIGINT, then drains: readiness turns 503,
 * requests are still served for ACCEPT_GRACE_MS, then the listening socket closes (no new
 * connections), idle keep-alive connections close, requests in flight finish (new requests on
 * their connections get 503 + Connection: close), onClose hooks run (websockets get 1001 there),
 * and the process exits 0 — or 1 after SHUTDOWN_TIMEOUT.
 */
export async function serve(
  config: Readonly<Config>,
  logger: Logger,
  options: { migrate: boolean },
): Promise<void> {
  const started = Date.now();
  const database = await openDatabase(config.database);
  if (options.migrate) await migrateOnStart(config, logger, database);
  const app = await buildApp(config, { database, logger });
  if (cluster.isWorker) serveMetricsToPrimary();

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.ctx.state.shuttingDown = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      logger.error({ timeout_ms: config.http.shutdownTimeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.http.shutdownTimeoutMs);
    timer.unref();
    await new Promise((resolve) => setTimeout(resolve, ACCEPT_GRACE_MS));
    // server.close() drops idle keep-alive connections once; a connection whose request was in
    // flight then would stay open until its client hangs up. Sweep again until the close is done.
    const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
    sweep.unref();
    try {
      await app.close();
      clearInterval(sweep);
      await database.close();
      logger.info({ ms: Date.now() - started }, 'shut down cleanly');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  const port = (app.server.address() as AddressInfo).port;
  logger.info(
    {
      port,
      worker: cluster.worker?.id ?? null,
      database: database.kind,
      redis: config.redis ? 'redis' : 'in-process',
      ms: Date.now() - started,
    },
    `Smart Trip Planner listening on http://localhost:${port} (API docs at /api/docs/)`,
  );
}
