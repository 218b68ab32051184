import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { MemoryCache, RedisCache, type Cache } from '../src/platform/cache.ts';
import { MemoryPubSub, RedisPubSub, type PubSub } from '../src/platform/pubsub.ts';
import {
  FallbackRateLimitStore,
  MemoryRateLimitStore,
  RedisRateLimitStore,
  type RateLimitStore,
} from '../src/platform/rate-limit-store.ts';
import { createRedisClient, waitForRedis } from '../src/platform/redis.ts';
import { services } from './helpers/env.ts';

interface Implementation {
  name: string;
  skip: string | false;
  make: () => Promise<{ cache: Cache; pubsub: PubSub; store: RateLimitStore; pubsub2: PubSub }>;
}

const redisClients: ReturnType<typeof createRedisClient>[] = [];
const pubsubs: PubSub[] = [];
after(async () => {
  for (const pubsub of pubsubs) await pubsub.close();
  for (const client of redisClients) client.disconnect();
});

const implementations: Implementation[] = [
  {
    name: 'in-process',
    skip: false,
    make: async () => {
      const pubsub = new MemoryPubSub();
      return { cache: new MemoryCache(), pubsub, pubsub2: pubsub, store: new MemoryRateLimitStore() };
    },
  },
  {
    name: 'Redis',
    // The same contract runs against Redis whenever REDIS_URL is set (CI's second pass does).
    skip: services.redisUrl ? false : 'REDIS_URL is not set',
    make: async () => {
      const prefix = `stp-test:${randomUUID()}:`;
      const a = createRedisClient(services.redisUrl!);
      const b = createRedisClient(services.redisUrl!);
      redisClients.push(a, b);
      await Promise.all([waitForRedis(a), waitForRedis(b)]);
      const pubsub = new RedisPubSub(a, prefix);
      const pubsub2 = new RedisPubSub(b, prefix);
      pubsubs.push(pubsub, pubsub2);
      return { cache: new RedisCache(a, prefix), pubsub, pubsub2, store: new RedisRateLimitStore(a, prefix) };
    },
  },
];

const waitFor = <T>(promise: Promise<T>, ms = 2000) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms)),
  ]);

for (const impl of implementations) {
  describe(`platform adapters: ${impl.name}`, { skip: impl.skip }, () => {
    it('cache: set, get, delete and expiry', async () => {
      const { cache } = await impl.make();
      assert.equal(await cache.get('missing'), null);
      await cache.set('k', 'v', 60);
      assert.equal(await cache.get('k'), 'v');
      await cache.del('k');
      assert.equal(await cache.get('k'), null);
      await cache.set('short', 'v', 1);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal(await cache.get('short'), null);
    });

    it('pub/sub: every subscriber gets each message once, in order; unsubscribe stops delivery', async () => {
      const { pubsub, pubsub2 } = await impl.make();
      const got1: string[] = [];
      const got2: string[] = [];
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const off1 = await pubsub.subscribe('room', (m) => got1.push(m));
      const off2 = await pubsub2.subscribe('room', (m) => {
        got2.push(m);
        if (got2.length === 3) done();
      });
      for (const m of ['a', 'b', 'c']) await pubsub.publish('room', m);
      await waitFor(finished);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(got1, ['a', 'b', 'c']);
      assert.deepEqual(got2, ['a', 'b', 'c']);
      await off1();
      await off2();
      await pubsub.publish('room', 'd');
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(got1, ['a', 'b', 'c']);
    });

    it('rate-limit store: counts per key within a window, then resets', async () => {
      const { store } = await impl.make();
      const key = randomUUID();
      assert.equal((await store.hit(key, 500)).count, 1);
      const second = await store.hit(key, 500);
      assert.equal(second.count, 2);
      assert.ok(second.ttlMs > 0 && second.ttlMs <= 500);
      assert.equal((await store.hit(`${key}-other`, 500)).count, 1);
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal((await store.hit(key, 500)).count, 1);
    });

    it('rate-limit store: concurrent hits are all counted', async () => {
      const { store } = await impl.make();
      const key = randomUUID();
      const hits = await Promise.all(Array.from({ length: 50 }, () => store.hit(key, 10_000)));
      assert.deepEqual(
        hits.map((h) => h.count).sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
    });
  });
}

describe('rate-limit fallback', () => {
  it('uses the local store when the shared one fails, and reports it', async () => {
    const failures: unknown[] = [];
    const broken: RateLimitStore = { hit: async () => Promise.reject(new Error('redis down')) };
    const store = new FallbackRateLimitStore(broken, new MemoryRateLimitStore(), (e) => failures.push(e));
    assert.equal((await store.hit('k', 1000)).count, 1);
    assert.equal((await store.hit('k', 1000)).count, 2);
    assert.equal(failures.length, 2);
  });
});
