import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import { MemoryCache, RedisCache, type Cache } from './cache.ts';
import { MemoryPubSub, RedisPubSub, type PubSub } from './pubsub.ts';
import {
  FallbackRateLimitStore,
  MemoryRateLimitStore,
  RedisRateLimitStore,
  type RateLimitStore,
} from './rate-limit-store.ts';
import { createRedisClient, waitForRedis } from './redis.ts';

/** Shared-state adapters: Redis-backed when REDIS_URL is set, in-process otherwise. */
export interface Platform {
  cache: Cache;
  pubsub: PubSub;
  rateLimitStore: RateLimitStore;
  redis: Redis | null;
  /** Resolves once Redis is connected (immediately without Redis); rejects after a few seconds. */
  ready(): Promise<void>;
  /** Resolves when Redis answers within `timeoutMs`; rejects otherwise. Null when not configured. */
  pingRedis: ((timeoutMs?: number) => Promise<void>) | null;
  close(): Promise<void>;
}

export function createPlatform(config: Pick<Config, 'redis'>, logger: Logger): Platform {
  if (!config.redis) {
    return {
      cache: new MemoryCache(),
      pubsub: new MemoryPubSub(),
      rateLimitStore: new MemoryRateLimitStore(),
      redis: null,
      ready: async () => undefined,
      pingRedis: null,
      close: async () => undefined,
    };
  }
  const { url, keyPrefix } = config.redis;
  const redis = createRedisClient(url);
  const pubsub = new RedisPubSub(redis, keyPrefix);
  let warnedAt = 0;
  return {
    cache: new RedisCache(redis, keyPrefix),
    pubsub,
    rateLimitStore: new FallbackRateLimitStore(
      new RedisRateLimitStore(redis, keyPrefix),
      new MemoryRateLimitStore(),
      (error) => {
        // One warning a minute is enough to see an outage without flooding the logs.
        if (Date.now() - warnedAt > 60_000) {
          warnedAt = Date.now();
          logger.warn({ err: error }, 'rate limit store unavailable; limiting per instance');
        }
      },
    ),
    redis,
    ready: () => waitForRedis(redis, 3000),
    pingRedis: async (timeoutMs = 1000) => {
      // Right after start (or during a reconnect) the client is still connecting: give it the time.
      if (redis.status !== 'ready') await waitForRedis(redis, timeoutMs);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        redis.ping(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('redis timeout')), timeoutMs))),
      ]).finally(() => clearTimeout(timer));
    },
    async close() {
      await pubsub.close();
      redis.disconnect();
    },
  };
}
