import type { Redis } from 'ioredis';

/** A small string cache shared by every instance when Redis is configured. */
export interface Cache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSec: number): Promise<void>;
  del(key: string): Promise<void>;
}

/** In-process cache with per-key expiry; used when no Redis is configured. */
export class MemoryCache implements Cache {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  constructor(private readonly maxEntries = 10_000) {}

  async get(key: string): Promise<string | null> {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return null;
    }
    return entry.value;
  }

  async set(key: string, value: string, ttlSec: number): Promise<void> {
    // Maps iterate in insertion order, so the first key is the oldest: a cheap FIFO bound.
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expiresAt: Date.now() + ttlSec * 1000 });
  }

  async del(key: string): Promise<void> {
    this.entries.delete(key);
  }
}

export class RedisCache implements Cache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  get(key: string): Promise<string | null> {
    return this.redis.get(this.prefix + 'cache:' + key);
  }

  async set(key: string, value: string, ttlSec: number): Promise<void> {
    await this.redis.set(this.prefix + 'cache:' + key, value, 'EX', Math.max(1, Math.ceil(ttlSec)));
  }

  async del(key: string): Promise<void> {
    await this.redis.del(this.prefix + 'cache:' + key);
  }
}
