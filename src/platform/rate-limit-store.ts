import type { Redis } from 'ioredis';

export interface Hit {
  /** Requests counted in the current window, this one included. */
  count: number;
  /** Milliseconds until the window resets. */
  ttlMs: number;
}

/** Fixed-window counters shared by every instance when Redis is configured. */
export interface RateLimitStore {
  hit(key: string, windowMs: number): Promise<Hit>;
}

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private sweptAt = Date.now();

  async hit(key: string, windowMs: number): Promise<Hit> {
    const now = Date.now();
    this.sweep(now, windowMs);
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { count: window.count, ttlMs: window.resetAt - now };
  }

  /** Drops expired windows now and then so memory stays bounded by active clients. */
  private sweep(now: number, windowMs: number): void {
    if (now - this.sweptAt < Math.max(windowMs, 10_000)) return;
    this.sweptAt = now;
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}

// INCR then set the expiry only on the first hit, atomically, so concurrent instances agree.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

export class RedisRateLimitStore implements RateLimitStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async hit(key: string, windowMs: number): Promise<Hit> {
    const [count, ttl] = (await this.redis.eval(HIT_SCRIPT, 1, `${this.prefix}rl:${key}`, windowMs)) as [
      number,
      number,
    ];
    return { count, ttlMs: ttl };
  }
}

/**
 * Uses the shared store, and the local one whenever the shared store fails: limits then hold per
 * instance instead of requests failing because Redis is away.
 */
export class FallbackRateLimitStore implements RateLimitStore {
  constructor(
    private readonly primary: RateLimitStore,
    private readonly fallback: RateLimitStore,
    private readonly onFallback: (error: unknown) => void = () => undefined,
  ) {}

  async hit(key: string, windowMs: number): Promise<Hit> {
    try {
      return await this.primary.hit(key, windowMs);
    } catch (error) {
      this.onFallback(error);
      return this.fallback.hit(key, windowMs);
    }
  }
}
