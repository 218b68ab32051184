import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { buildTestApp, call } from './helpers/app.ts';
import { createUser } from './helpers/factories.ts';
import { services } from './helpers/env.ts';

describe('rate limiting', () => {
  it('answers 429 in the envelope with RateLimit-* and Retry-After headers', async () => {
    const { app } = await buildTestApp({
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_DEFAULT: '3',
      RATE_LIMIT_WINDOW: '60',
    });
    const user = await createUser(app);
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await call(app, 'GET', '/api/v1/users/me/', { token: user.access });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    assert.equal(last!.body.error.code, 429);
    assert.equal(last!.body.error.type, 'rate_limited');
    assert.equal(last!.headers['ratelimit-limit'], '3');
    assert.equal(last!.headers['ratelimit-remaining'], '0');
    assert.ok(Number(last!.headers['retry-after']) > 0);
  });

  it('keys on the user, so another user from the same address is not limited', async () => {
    const { app } = await buildTestApp({
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_DEFAULT: '2',
      RATE_LIMIT_WINDOW: '60',
    });
    const [a, b] = [await createUser(app), await createUser(app)];
    for (let i = 0; i < 2; i++)
      assert.equal((await call(app, 'GET', '/api/v1/users/me/', { token: a.access })).status, 200);
    assert.equal((await call(app, 'GET', '/api/v1/users/me/', { token: a.access })).status, 429);
    assert.equal((await call(app, 'GET', '/api/v1/users/me/', { token: b.access })).status, 200);
  });

  it('limits login more strictly than other routes, per client IP', async () => {
    const { app } = await buildTestApp({
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_DEFAULT: '100',
      RATE_LIMIT_AUTH: '2',
    });
    const attempt = (ip: string) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/auth/login/',
        remoteAddress: ip,
        payload: { email: 'x@example.test', password: 'wrong-password' },
      });
    assert.equal((await attempt('10.9.0.1')).statusCode, 401);
    assert.equal((await attempt('10.9.0.1')).statusCode, 401);
    assert.equal((await attempt('10.9.0.1')).statusCode, 429);
    assert.equal((await attempt('10.9.0.2')).statusCode, 401, 'another address has its own budget');
  });

  it(
    'shares counts between instances through Redis',
    { skip: services.redisUrl ? false : 'REDIS_URL is not set' },
    async () => {
      const prefix = `stp-test:${randomUUID()}:`;
      const overrides = { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_DEFAULT: '3', REDIS_KEY_PREFIX: prefix };
      const one = await buildTestApp(overrides);
      const two = await buildTestApp(overrides);
      const user = await createUser(one.app);
      const statuses = [];
      for (const app of [one.app, two.app, one.app, two.app]) {
        statuses.push((await call(app, 'GET', '/api/v1/users/me/', { token: user.access })).status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429]);
    },
  );

  it('does not limit health checks', async () => {
    const { app } = await buildTestApp({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_DEFAULT: '1' });
    for (let i = 0; i < 3; i++) assert.equal((await call(app, 'GET', '/health/')).status, 200);
  });
});
