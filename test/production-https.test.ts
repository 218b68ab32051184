import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { users } from '../src/db/schema/index.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { testDatabase } from './helpers/database.ts';
import { GOOD_PASSWORD, createUser, uniqueEmail } from './helpers/factories.ts';

const HOST = 'api.example.com';
// Addresses from the documentation ranges (RFC 5737): app.inject sends no traffic anywhere.
const CLIENT = '203.0.113.9';
const STRANGER = '192.0.2.10';

const redirecting = await buildTestApp({ SECURE_SSL_REDIRECT: 'true', ALLOWED_HOSTS: HOST });
const behindProxy = await buildTestApp({
  SECURE_SSL_REDIRECT: 'true',
  ALLOWED_HOSTS: HOST,
  TRUSTED_PROXIES: '127.0.0.1',
});

const get = (app: typeof redirecting.app, url: string, headers: Record<string, string> = {}, ip?: string) =>
  app.inject({ method: 'GET', url, headers: { host: HOST, ...headers }, remoteAddress: ip });

describe('SECURE_SSL_REDIRECT', () => {
  it('is off by default: plain http is served', async () => {
    const { app } = await buildTestApp({ ALLOWED_HOSTS: HOST });
    const response = await get(app, '/api/v1/');
    assert.equal(response.statusCode, 200);
  });

  it('redirects GET with 301 to https, keeping path and query', async () => {
    const response = await get(redirecting.app, '/api/v1/trips/?page=2&ordering=-created_at');
    assert.equal(response.statusCode, 301);
    assert.equal(response.headers.location, `https://${HOST}/api/v1/trips/?page=2&ordering=-created_at`);
    assert.equal(response.body, '');
  });

  it('redirects other methods with 308 (the body is re-sent, not turned into a GET) and runs nothing', async () => {
    const email = uniqueEmail('redirected');
    const response = await redirecting.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register/',
      headers: { host: HOST },
      payload: { email, password: GOOD_PASSWORD, password_confirm: GOOD_PASSWORD },
    });
    assert.equal(response.statusCode, 308);
    assert.equal(response.headers.location, `https://${HOST}/api/v1/auth/register/`);
    const db = (await testDatabase()).db;
    assert.equal((await db.select().from(users).where(eq(users.email, email))).length, 0);
  });

  it('keeps the health endpoints and /metrics reachable over plain http (orchestrators, Prometheus)', async () => {
    for (const url of ['/health/', '/health/live', '/health/ready', '/metrics']) {
      const response = await get(redirecting.app, url);
      assert.equal(response.statusCode, 200, url);
    }
  });

  it('does not redirect a request that came through a trusted proxy over https', async () => {
    const response = await get(behindProxy.app, '/api/v1/', { 'x-forwarded-proto': 'https' }, '127.0.0.1');
    assert.equal(response.statusCode, 200);
  });

  it('ignores a forged X-Forwarded-Proto from a peer that is not a trusted proxy', async () => {
    for (const app of [redirecting.app, behindProxy.app]) {
      const response = await get(app, '/api/v1/', { 'x-forwarded-proto': 'https' }, STRANGER);
      assert.equal(response.statusCode, 301);
    }
  });

  it('accepts TRUSTED_PROXIES as CIDR ranges', async () => {
    const { app } = await buildTestApp({
      SECURE_SSL_REDIRECT: 'true',
      ALLOWED_HOSTS: HOST,
      TRUSTED_PROXIES: '127.0.0.0/8, ::1',
    });
    assert.equal((await get(app, '/api/v1/', { 'x-forwarded-proto': 'https' }, '127.0.0.7')).statusCode, 200);
    assert.equal((await get(app, '/api/v1/', { 'x-forwarded-proto': 'https' }, STRANGER)).statusCode, 301);
  });

  it('never redirects to a host that is not allowed (the Host check runs first)', async () => {
    const response = await redirecting.app.inject({
      method: 'GET',
      url: '/api/v1/',
      headers: { host: 'evil.test' },
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error.type, 'disallowed_host');
    assert.equal(response.headers.location, undefined);
  });
});

describe('HSTS', () => {
  const https = { 'x-forwarded-proto': 'https' };

  it('is sent over https: one year with subdomains, no preload by default', async () => {
    const response = await get(behindProxy.app, '/api/v1/', https, '127.0.0.1');
    assert.equal(response.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  });

  it('is never sent over plain http', async () => {
    const { app } = await buildTestApp({ ALLOWED_HOSTS: HOST, TRUSTED_PROXIES: '127.0.0.1' });
    assert.equal(
      (await get(app, '/api/v1/', {}, '127.0.0.1')).headers['strict-transport-security'],
      undefined,
    );
    // A forged header from an untrusted peer does not make the connection https either.
    assert.equal(
      (await get(app, '/api/v1/', https, STRANGER)).headers['strict-transport-security'],
      undefined,
    );
  });

  it('follows HSTS_SECONDS, HSTS_INCLUDE_SUBDOMAINS and HSTS_PRELOAD', async () => {
    const base = { ALLOWED_HOSTS: HOST, TRUSTED_PROXIES: '127.0.0.1' };
    const preload = await buildTestApp({ ...base, HSTS_PRELOAD: 'true', HSTS_SECONDS: '63072000' });
    assert.equal(
      (await get(preload.app, '/api/v1/', https, '127.0.0.1')).headers['strict-transport-security'],
      'max-age=63072000; includeSubDomains; preload',
    );
    const short = await buildTestApp({ ...base, HSTS_SECONDS: '3600', HSTS_INCLUDE_SUBDOMAINS: 'false' });
    assert.equal(
      (await get(short.app, '/api/v1/', https, '127.0.0.1')).headers['strict-transport-security'],
      'max-age=3600',
    );
    const off = await buildTestApp({ ...base, HSTS_SECONDS: '0' });
    assert.equal(
      (await get(off.app, '/api/v1/', https, '127.0.0.1')).headers['strict-transport-security'],
      undefined,
    );
  });
});

describe('forwarded headers: only trusted proxies count', () => {
  // The request line is written in onResponse, just after inject() has its answer.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
  const ipLogged = (logs: Record<string, unknown>[], url: string) =>
    logs.filter((line) => line.url === url).map((line) => line.ip);

  it('takes the client address from X-Forwarded-For only when the peer is a trusted proxy', async () => {
    const testApp = await buildTestApp({ ALLOWED_HOSTS: HOST, TRUSTED_PROXIES: '127.0.0.1' });
    const { app } = testApp;
    await get(app, '/api/v1/?via=proxy', { 'x-forwarded-for': CLIENT }, '127.0.0.1');
    await get(app, '/api/v1/?via=stranger', { 'x-forwarded-for': CLIENT }, STRANGER);
    // A client that forges an entry in front of the real one: the proxy appended the real address.
    await get(app, '/api/v1/?via=chain', { 'x-forwarded-for': `6.6.6.6, ${CLIENT}` }, '127.0.0.1');
    await settle();
    assert.deepEqual(ipLogged(testApp.logs, '/api/v1/?via=proxy'), [CLIENT]);
    assert.deepEqual(ipLogged(testApp.logs, '/api/v1/?via=stranger'), [STRANGER]);
    assert.deepEqual(ipLogged(testApp.logs, '/api/v1/?via=chain'), [CLIENT]);
  });

  it('ignores X-Forwarded-For entirely without TRUSTED_PROXIES', async () => {
    const testApp = await buildTestApp({ ALLOWED_HOSTS: HOST });
    await get(testApp.app, '/api/v1/?none', { 'x-forwarded-for': CLIENT }, '127.0.0.1');
    await settle();
    assert.deepEqual(ipLogged(testApp.logs, '/api/v1/?none'), ['127.0.0.1']);
  });

  it('builds absolute URLs from forwarded proto/host only when a trusted proxy sent them', async () => {
    const { app } = await buildTestApp({
      ALLOWED_HOSTS: `${HOST},public.example.com,localhost`,
      TRUSTED_PROXIES: '127.0.0.1',
    });
    const user = await createUser(app);
    for (const title of ['One', 'Two']) {
      const created = await call(app, 'POST', '/api/v1/trips/', {
        token: user.access,
        body: { title },
        headers: { host: HOST },
      });
      assert.equal(created.status, 201);
    }
    const page = async (headers: Record<string, string>, ip: string) => {
      const response = await app.inject({
        method: 'GET',
        url: '/api/v1/trips/?page_size=1',
        headers: { host: HOST, authorization: `Bearer ${user.access}`, ...headers },
        remoteAddress: ip,
      });
      assert.equal(response.statusCode, 200, response.body);
      return response.json().next as string;
    };
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.example.com' };
    assert.match(await page(forwarded, '127.0.0.1'), /^https:\/\/public\.example\.com\/api\/v1\/trips\/\?/);
    assert.match(await page(forwarded, STRANGER), /^http:\/\/api\.example\.com\/api\/v1\/trips\/\?/);
  });
});

describe('ALLOWED_HOSTS', () => {
  it('refuses other hosts with 400, also when a trusted proxy forwards one, but not on health', async () => {
    const { app } = await buildTestApp({
      ALLOWED_HOSTS: `${HOST},.example.org`,
      TRUSTED_PROXIES: '127.0.0.1',
    });
    assert.equal((await get(app, '/api/v1/')).statusCode, 200);
    assert.equal(
      (await app.inject({ url: '/api/v1/', headers: { host: 'eu.example.org' } })).statusCode,
      200,
    );
    const refused = await app.inject({ url: '/api/v1/', headers: { host: 'evil.test' } });
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().error.type, 'disallowed_host');
    const viaProxy = await get(app, '/api/v1/', { 'x-forwarded-host': 'evil.test' }, '127.0.0.1');
    assert.equal(viaProxy.statusCode, 400, 'the forwarded host is the one checked');
    const forged = await get(app, '/api/v1/', { 'x-forwarded-host': 'evil.test' }, STRANGER);
    assert.equal(forged.statusCode, 200, "an untrusted peer's X-Forwarded-Host is ignored");
    assert.equal(
      (await app.inject({ url: '/health/live', headers: { host: '10.1.2.3:8000' } })).statusCode,
      200,
    );
  });
});
