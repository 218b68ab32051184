import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { createPlatform } from '../src/platform/index.ts';
import { createLogger } from '../src/platform/logger.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { closeAtEnd, testDatabase } from './helpers/database.ts';
import { services, testConfig } from './helpers/env.ts';
import { createUser } from './helpers/factories.ts';

// Documentation ranges (RFC 5737); app.inject sends no traffic anywhere.
const PROXY = '127.0.0.1';
const STRANGER = '192.0.2.10';

const login = (app: FastifyInstance, remoteAddress: string, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/auth/login/',
    remoteAddress,
    headers,
    payload: { email: `nobody-${randomUUID()}@example.test`, password: 'wrong-password' },
  });

const statuses = async (attempts: (() => Promise<{ statusCode: number }>)[]) => {
  const result = [];
  for (const attempt of attempts) result.push((await attempt()).statusCode);
  return result;
};

describe('rate limits keyed on the client as seen through trusted proxies', () => {
  const limited = { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_DEFAULT: '100', RATE_LIMIT_AUTH: '2' };

  it('gives each forwarded client its own budget behind a trusted proxy', async () => {
    const { app } = await buildTestApp({ ...limited, TRUSTED_PROXIES: PROXY });
    const a = { 'x-forwarded-for': '203.0.113.1' };
    const b = { 'x-forwarded-for': '203.0.113.2' };
    assert.deepEqual(
      await statuses([() => login(app, PROXY, a), () => login(app, PROXY, a), () => login(app, PROXY, a)]),
      [401, 401, 429],
    );
    assert.equal(
      (await login(app, PROXY, b)).statusCode,
      401,
      'another client behind the proxy is not limited',
    );
  });

  it('a peer that is not a trusted proxy cannot escape its budget by forging X-Forwarded-For', async () => {
    const { app } = await buildTestApp({ ...limited, TRUSTED_PROXIES: PROXY });
    const forged = (n: number) => () => login(app, STRANGER, { 'x-forwarded-for': `198.51.100.${n}` });
    assert.deepEqual(await statuses([forged(1), forged(2), forged(3)]), [401, 401, 429]);
  });

  it('without TRUSTED_PROXIES nobody can: the header is ignored, even from loopback', async () => {
    const { app } = await buildTestApp(limited);
    const forged = (n: number) => () => login(app, PROXY, { 'x-forwarded-for': `198.51.100.${n}` });
    assert.deepEqual(await statuses([forged(1), forged(2), forged(3)]), [401, 401, 429]);
  });

  it('a forged entry in front of the real client changes nothing either', async () => {
    const { app } = await buildTestApp({ ...limited, TRUSTED_PROXIES: PROXY });
    const chain = (n: number) => () =>
      login(app, PROXY, { 'x-forwarded-for': `198.51.100.${n}, 203.0.113.77` });
    assert.deepEqual(await statuses([chain(1), chain(2), chain(3)]), [401, 401, 429]);
  });

  it('keys signed-in callers on their user, wherever they come from', async () => {
    const { app } = await buildTestApp({
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_DEFAULT: '2',
      TRUSTED_PROXIES: PROXY,
    });
    const user = await createUser(app);
    const other = await createUser(app);
    const me = (token: string, client: string) => () =>
      app.inject({
        url: '/api/v1/users/me/',
        remoteAddress: PROXY,
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': client },
      });
    assert.deepEqual(
      await statuses([
        me(user.access, '203.0.113.1'),
        me(user.access, '203.0.113.2'),
        me(user.access, '203.0.113.3'),
      ]),
      [200, 200, 429],
    );
    assert.equal((await me(other.access, '203.0.113.1')()).statusCode, 200, 'same address, another user');
  });

  it('sends RateLimit-* on every limited response and Retry-After on a 429, and counts rejections', async () => {
    const { app } = await buildTestApp({ ...limited, METRICS_TOKEN: undefined });
    const first = await login(app, '192.0.2.44');
    assert.equal(first.headers['ratelimit-limit'], '2');
    assert.equal(first.headers['ratelimit-remaining'], '1');
    assert.ok(Number(first.headers['ratelimit-reset']) > 0);
    assert.equal(first.headers['x-ratelimit-limit'], undefined, 'only the standard names');
    await login(app, '192.0.2.44');
    const before = await rejections(app);
    const refused = await login(app, '192.0.2.44');
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json().error.type, 'rate_limited');
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.equal(await rejections(app), before + 1, 'rate_limit_rejections_total counted it');
  });
});

async function rejections(app: FastifyInstance): Promise<number> {
  const text = (await call(app, 'GET', '/metrics')).text;
  const line = text
    .split('\n')
    .find((l) => l.startsWith('rate_limit_rejections_total{route="/api/v1/auth/login/"}'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('rate limits shared by two instances', () => {
  // With REDIS_URL: two apps with their own Redis connections share counts through Redis.
  // Without: two apps given one in-process store (what one process's apps share), so the
  // scenario still runs; the Redis store itself is exercised whenever REDIS_URL is set.
  async function twoInstances(env: Record<string, string>) {
    const prefix = `stp-test:${randomUUID()}:`;
    const config = testConfig({ ...env, REDIS_KEY_PREFIX: prefix, TRUSTED_PROXIES: PROXY });
    const logStream = new Writable({ write: (_c, _e, done) => done() });
    const logger = createLogger('silent', logStream);
    const shared = services.redisUrl ? null : createPlatform(config, logger);
    const apps = [];
    for (let i = 0; i < 2; i++) {
      const app = await buildApp(config, {
        database: await testDatabase(),
        logger,
        emailSender: false,
        ...(shared ? { platform: shared } : {}),
      });
      await app.ready();
      closeAtEnd(() => app.close());
      apps.push(app);
    }
    return apps as [FastifyInstance, FastifyInstance];
  }

  it('per user', async () => {
    const [one, two] = await twoInstances({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_DEFAULT: '3' });
    const user = await createUser(one);
    const results = [];
    for (const app of [one, two, one, two]) {
      results.push((await call(app, 'GET', '/api/v1/users/me/', { token: user.access })).status);
    }
    assert.deepEqual(results, [200, 200, 200, 429]);
  });

  it('per client IP through the proxy', async () => {
    const [one, two] = await twoInstances({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_AUTH: '2' });
    const client = { 'x-forwarded-for': '203.0.113.200' };
    assert.deepEqual(
      await statuses([
        () => login(one, PROXY, client),
        () => login(two, PROXY, client),
        () => login(one, PROXY, client),
      ]),
      [401, 401, 429],
    );
    assert.equal((await login(two, PROXY, { 'x-forwarded-for': '203.0.113.201' })).statusCode, 401);
  });
});
