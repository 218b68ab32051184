import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.ts';
import { metrics } from '../platform/metrics.ts';
import type { RateLimitStore } from '../platform/rate-limit-store.ts';
import { AppError } from './errors.ts';

/** Adapts our store to @fastify/rate-limit's callback-style store contract. */
function storeClass(store: RateLimitStore) {
  return class {
    constructor(private readonly options: { timeWindow?: number; keyPrefix?: string } = {}) {}
    incr(
      key: string,
      cb: (err: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow?: number,
    ) {
      const windowMs = Number(timeWindow ?? this.options.timeWindow ?? 60_000);
      store.hit(`${this.options.keyPrefix ?? 'g'}:${key}`, windowMs).then(
        (hit) => cb(null, { current: hit.count, ttl: hit.ttlMs }),
        (error: Error) => cb(error),
      );
    }
    child(routeOptions: { timeWindow?: number; routeInfo?: { method?: string; url?: string } }) {
      const route = routeOptions.routeInfo;
      return new (storeClass(store))({
        timeWindow: routeOptions.timeWindow,
        keyPrefix: `${route?.method}:${route?.url}`,
      });
    }
  };
}

/**
 * The route-level limit of register, login, refresh and the password routes: RATE_LIMIT_AUTH per
 * window and caller, counted per route. `false` (no limit) when rate limiting is off.
 */
export const authRateLimit = (config: Config['rateLimit']) =>
  config.enabled ? { max: config.authMax, timeWindow: config.windowSec * 1000 } : false;

/** The caller's identity for limits: the verified user, else the client IP as seen through trusted proxies. */
export const rateLimitKey = (request: FastifyRequest) =>
  request.user ? `u:${request.user.id}` : `ip:${request.ip}`;

export async function installRateLimit(
  app: FastifyInstance,
  config: Config['rateLimit'],
  store: RateLimitStore,
): Promise<void> {
  await app.register(rateLimit, {
    global: config.enabled,
    max: config.max,
    timeWindow: config.windowSec * 1000,
    store: storeClass(store) as never,
    keyGenerator: rateLimitKey,
    onExceeded: (request) =>
      metrics.rateLimitRejections.inc({ route: request.routeOptions.url ?? 'unmatched' }),
    // The limiter must never make the API fail: if counting fails, let the request through.
    skipOnError: true,
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
    addHeaders: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
      'retry-after': true,
    },
    enableDraftSpec: true,
    errorResponseBuilder: (_request, context) =>
      new AppError(
        429,
        'rate_limited',
        `Request was throttled. Expected available in ${Math.ceil(context.ttl / 1000)} seconds.`,
        {
          retry_after: Math.ceil(context.ttl / 1000),
        },
      ),
  });
}
