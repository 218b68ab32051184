import { Redis } from 'ioredis';

/**
 * A Redis connection that fails fast instead of queueing commands while Redis is away, so a
 * request never hangs on it: callers catch the error and fall back or report unhealthy.
 */
export function createRedisClient(url: string): Redis {
  const client = new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  // Connection errors are reported through health checks and fallbacks, not as crashes.
  client.on('error', () => undefined);
  return client;
}

/** Resolves once the client is ready (or rejects after `ms`), used at start-up and in tests. */
export async function waitForRedis(client: Redis, ms = 3000): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready within ${ms} ms`));
    }, ms);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
    };
    client.on('ready', onReady);
  });
}
