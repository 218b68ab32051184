import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { aggregateForWorkers } from '../platform/metrics.ts';

export interface PrimaryOptions {
  workers: number;
  shutdownTimeoutMs: number;
  logger: Logger;
}

/** Restarts allowed per minute before the primary gives up (a worker that cannot start at all). */
const MAX_RESTARTS_PER_MINUTE = 10;

/**
 * The cluster primary (WEB_CONCURRENCY > 1): forks the workers, which share the listening port;
 * replaces a worker that dies; answers workers' /metrics with every worker's metrics added up.
 * On SIGTERM/SIGINT it forwards SIGTERM to every worker, waits for each to drain and exit, and
 * exits 0 when all exited cleanly (1 otherwise, or when SHUTDOWN_TIMEOUT passes first).
 */
export function runPrimary(options: PrimaryOptions): void {
  const { workers, logger } = options;
  let stopping = false;
  let failed = false;
  const restarts: number[] = [];
  aggregateForWorkers();

  const fork = (): Worker => cluster.fork();
  for (let i = 0; i < workers; i++) fork();
  let listening = 0;
  cluster.on('listening', (worker, address) => {
    listening += 1;
    if (listening === workers) logger.info({ workers, port: address.port }, 'cluster: all workers listening');
    logger.debug({ worker: worker.id }, 'cluster: worker listening');
  });

  cluster.on('exit', (worker, code, signal) => {
    if (code !== 0) failed = true;
    if (stopping) {
      logger.info({ worker: worker.id, code, signal }, 'cluster: worker stopped');
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
      return;
    }
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && restarts[0]! < now - 60_000) restarts.shift();
    if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
      logger.fatal({ restarts: restarts.length }, 'cluster: workers keep dying; giving up');
      stop('crash loop');
      return;
    }
    logger.error({ worker: worker.id, code, signal }, 'cluster: worker died; starting another');
    fork();
  });

  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'cluster: stopping workers');
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    if (alive.length === 0) process.exit(failed ? 1 : 0);
    for (const worker of alive) worker.process.kill('SIGTERM');
    // Workers enforce SHUTDOWN_TIMEOUT themselves; this is the backstop if one hangs anyway.
    setTimeout(() => {
      logger.error('cluster: workers did not exit in time; killing them');
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }, options.shutdownTimeoutMs + 2000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
