import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildApp } from '../src/app.ts';
import { migrate, openDatabase } from '../src/db/index.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { closeAtEnd, testDatabase } from './helpers/database.ts';
import { services, testConfig } from './helpers/env.ts';

describe('health', () => {
  it('is 200 with the database check ok (and Redis when configured)', async () => {
    const { app } = await buildTestApp();
    const response = await call(app, 'GET', '/health/');
    assert.equal(response.status, 200);
    assert.equal(response.body.status, 'healthy');
    assert.equal(response.body.service, 'smart-trip-planner');
    assert.equal(response.body.checks.database, 'ok');
    assert.equal(response.body.checks.redis, services.redisUrl ? 'ok' : 'not_configured');
    assert.equal(response.body.checks.migrations, 'ok');
    assert.equal((await call(app, 'GET', '/health/live')).status, 200);
    assert.equal((await call(app, 'GET', '/health/ready')).status, 200);
  });

  it('logs a successful probe at debug only, a failing one at info', async () => {
    const ok = await buildTestApp();
    await call(ok.app, 'GET', '/health/');
    await call(ok.app, 'GET', '/api/v1/');
    const routes = ok.logs.filter((l) => l.msg === 'request').map((l) => l.route);
    assert.deepEqual(routes, ['/api/v1']);
    const down = await buildTestApp({ REDIS_URL: 'redis://127.0.0.1:1' });
    assert.equal((await call(down.app, 'GET', '/health/')).status, 503);
    assert.ok(down.logs.some((l) => l.msg === 'request' && l.route === '/health/' && l.status === 503));
  });

  it('probes at most once a second however many ask at once', async () => {
    const database = await testDatabase();
    let pings = 0;
    const counted = { ...database, ping: (timeoutMs?: number) => (pings++, database.ping(timeoutMs)) };
    const app = await buildApp(testConfig(), { database: counted, emailSender: false });
    closeAtEnd(() => app.close());
    const statuses = await Promise.all(Array.from({ length: 50 }, () => call(app, 'GET', '/health/')));
    assert.deepEqual(new Set(statuses.map((r) => r.status)), new Set([200]));
    assert.equal(pings, 1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await call(app, 'GET', '/health/ready')).status, 200);
    assert.equal(pings, 2);
  });

  it('is 503 naming the database, without internals, when the database is unreachable', async () => {
    // Port 1 on loopback refuses connections: a database that is down.
    const config = testConfig({
      DATABASE_URL: 'postgresql://nobody:secret-pw@127.0.0.1:1/nothing',
      REDIS_URL: undefined,
    });
    const database = await openDatabase(config.database);
    const app = await buildApp(config, { database, emailSender: false });
    closeAtEnd(async () => {
      await app.close();
      await database.close();
    });
    const response = await call(app, 'GET', '/health/');
    assert.equal(response.status, 503);
    assert.equal(response.body.status, 'unhealthy');
    assert.equal(response.body.checks.database, 'unavailable');
    assert.doesNotMatch(response.text, /ECONNREFUSED|127\.0\.0\.1|secret-pw|nobody/);
    assert.equal((await call(app, 'GET', '/health/ready')).status, 503);
    assert.equal(
      (await call(app, 'GET', '/health/live')).status,
      200,
      'liveness does not depend on the database',
    );
  });

  it("is 503 with migrations pending when the database lacks this build's tables", async () => {
    const config = testConfig({ REDIS_URL: undefined });
    const database = await openDatabase({ kind: 'pglite', dataDir: null });
    const app = await buildApp(config, { database, emailSender: false });
    closeAtEnd(async () => {
      await app.close();
      await database.close();
    });
    const response = await call(app, 'GET', '/health/');
    assert.equal(response.status, 503);
    assert.equal(response.body.checks.database, 'ok');
    assert.equal(response.body.checks.migrations, 'pending');
    await migrate(database);
    // Probes run at most once a second per process: the change shows within about that.
    const deadline = Date.now() + 3000;
    let status = 503;
    while (status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await call(app, 'GET', '/health/')).status;
    }
    assert.equal(status, 200);
  });

  it('is 503 naming Redis when Redis is configured but unreachable', async () => {
    const { app } = await buildTestApp({ REDIS_URL: 'redis://127.0.0.1:1' });
    const response = await call(app, 'GET', '/health/');
    assert.equal(response.status, 503);
    assert.equal(response.body.checks.redis, 'unavailable');
    assert.equal(response.body.checks.database, 'ok');
    // Still ready: the instance serves without Redis (per-instance rate limits, live events from the log).
    const ready = await call(app, 'GET', '/health/ready');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.checks.redis, 'unavailable');
  });

  it('readiness turns 503 once shutdown begins', async () => {
    const { app } = await buildTestApp();
    app.ctx.state.shuttingDown = true;
    assert.equal((await call(app, 'GET', '/health/ready')).status, 503);
    assert.equal((await call(app, 'GET', '/health/')).status, 200);
  });
});
