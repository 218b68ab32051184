import assert from 'node:assert/strict';
import net from 'node:net';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { buildApp } from '../src/app.ts';
import { openDatabase } from '../src/db/index.ts';
import { totalOf } from '../src/http/pagination.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { closeAtEnd } from './helpers/database.ts';
import { testConfig } from './helpers/env.ts';
import { createUser } from './helpers/factories.ts';
import { assertEnvelope } from './helpers/assertions.ts';

const { app } = await buildTestApp();

describe('error envelope', () => {
  it('400 validation errors carry per-field details', async () => {
    const response = await call(app, 'POST', '/api/v1/auth/register/', {
      body: { email: 'not-an-email', password: 5 },
    });
    const error = assertEnvelope(response, 400, 'validation_error');
    assert.ok(error.details.email, 'email problem listed');
    assert.ok(error.details.password, 'password problem listed');
    assert.deepEqual(error.details.password_confirm, ['This field is required.']);
  });

  it('malformed JSON is a 400 malformed_json', async () => {
    const response = await call(app, 'POST', '/api/v1/auth/login/', {
      payload: '{"email": "a@b.c", ',
      headers: { 'content-type': 'application/json' },
    });
    assertEnvelope(response, 400, 'malformed_json');
  });

  it('a JSON body that is not an object is a 400', async () => {
    const response = await call(app, 'POST', '/api/v1/auth/login/', {
      payload: '[1,2]',
      headers: { 'content-type': 'application/json' },
    });
    assertEnvelope(response, 400, 'validation_error');
  });

  it('prototype pollution keys are refused', async () => {
    const response = await call(app, 'POST', '/api/v1/auth/login/', {
      payload: '{"email":"a@b.c","password":"x","__proto__":{"admin":true}}',
      headers: { 'content-type': 'application/json' },
    });
    assertEnvelope(response, 400, 'malformed_json');
  });

  it('401 without a token on a protected route', async () => {
    const response = await call(app, 'GET', '/api/v1/users/me/');
    assertEnvelope(response, 401, 'not_authenticated');
  });

  it('404 for unknown paths, inside and outside the API', async () => {
    assertEnvelope(await call(app, 'GET', '/api/v1/no-such-thing/'), 404, 'not_found');
    assertEnvelope(await call(app, 'GET', '/nowhere'), 404, 'not_found');
  });

  it('405 with Allow for a known path and the wrong method', async () => {
    const response = await call(app, 'DELETE', '/api/v1/auth/login/');
    assertEnvelope(response, 405, 'method_not_allowed');
    assert.equal(response.headers.allow, 'POST');
  });

  it('413 for a body over the limit', async () => {
    const response = await call(app, 'POST', '/api/v1/auth/login/', {
      payload: JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(2 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    assertEnvelope(response, 413, 'payload_too_large');
  });

  it('415 for an unsupported content type', async () => {
    const response = await call(app, 'POST', '/api/v1/auth/login/', {
      payload: 'email=a',
      headers: { 'content-type': 'text/csv' },
    });
    assertEnvelope(response, 415, 'unsupported_media_type');
  });

  it('503 service_unavailable with Retry-After while the database cannot be reached', async () => {
    // A port nothing listens on: every connection attempt is refused, as while PostgreSQL restarts.
    const probe = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => probe.once('listening', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const database = await openDatabase({
      kind: 'postgres',
      url: `postgresql://postgres@127.0.0.1:${port}/unreachable`,
      sslMode: 'disable',
      poolSize: 1,
    });
    const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
    const down = await buildApp(testConfig(), { database, logStream: quiet, emailSender: false });
    closeAtEnd(async () => {
      await down.close();
      await database.close();
    });
    const response = await call(down, 'POST', '/api/v1/auth/login/', {
      body: { email: 'someone@example.test', password: 'Sturdy-Koala-Orbit-42' },
    });
    assertEnvelope(response, 503, 'service_unavailable');
    assert.equal(response.headers['retry-after'], '5');
  });
});

describe('request ids', () => {
  it('echoes a caller-supplied X-Request-Id, in the header and the envelope', async () => {
    const response = await call(app, 'GET', '/api/v1/users/me/', {
      headers: { 'x-request-id': 'trace-abc.123' },
    });
    assert.equal(response.headers['x-request-id'], 'trace-abc.123');
    assert.equal((response.body as any).error.request_id, 'trace-abc.123');
  });

  it('generates one when absent or unsafe', async () => {
    const plain = await call(app, 'GET', '/health/');
    assert.match(String(plain.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    const unsafe = await call(app, 'GET', '/health/', { headers: { 'x-request-id': 'bad id\twith spaces' } });
    assert.notEqual(unsafe.headers['x-request-id'], 'bad id\twith spaces');
    assert.match(String(unsafe.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });
});

describe('routing', () => {
  it('works with and without the trailing slash', async () => {
    const user = await createUser(app);
    assert.equal((await call(app, 'GET', '/api/v1/users/me/', { token: user.access })).status, 200);
    assert.equal((await call(app, 'GET', '/api/v1/users/me', { token: user.access })).status, 200);
    assert.equal((await call(app, 'GET', '/health')).status, 200);
  });

  it('serves the API index publicly with absolute URLs', async () => {
    const response = await call(app, 'GET', '/api/v1/', { headers: { host: 'api.example.test' } });
    assert.equal(response.status, 200);
    assert.equal(response.body.api_version, 'v1');
    assert.equal(response.body.resources.login, 'http://api.example.test/api/v1/auth/login/');
    for (const name of ['trips', 'chat_rooms', 'chat_messages', 'sync'])
      assert.ok(response.body.resources[name], `index lists ${name}`);
    // Every listed URL is a route: GET answers (405 for POST-only ones), never 404.
    const user = await createUser(app);
    for (const [name, url] of Object.entries(response.body.resources as Record<string, string>)) {
      const status = (await call(app, 'GET', new URL(url).pathname, { token: user.access })).status;
      assert.notEqual(status, 404, `${name}: ${url}`);
    }
  });
});

describe('OpenAPI', () => {
  it('publishes an OpenAPI 3.1 document covering every route', async () => {
    const response = await call(app, 'GET', '/api/schema/');
    assert.equal(response.status, 200);
    const doc = response.body;
    assert.equal(doc.openapi, '3.1.0');
    for (const path of [
      '/api/v1/auth/register/',
      '/api/v1/auth/login/',
      '/api/v1/auth/refresh/',
      '/api/v1/auth/logout/',
      '/api/v1/users/me/',
      '/health/',
    ]) {
      assert.ok(doc.paths[path], `${path} documented`);
    }
    assert.ok(
      doc.paths['/api/v1/users/me/'].patch.requestBody.content['multipart/form-data'],
      'multipart avatar documented',
    );
    assert.ok(doc.components.securitySchemes.bearerAuth);
  });

  it('serves interactive docs', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/docs/' });
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /text\/html/);
  });
});

describe('allowed hosts', () => {
  it('refuses other Host headers with a 400, but not health probes', async () => {
    const { app: strict } = await buildTestApp({ ALLOWED_HOSTS: 'api.example.test,.trips.example' });
    const ok = await call(strict, 'GET', '/api/v1/', { headers: { host: 'api.example.test:8443' } });
    assert.equal(ok.status, 200);
    assert.equal(
      (await call(strict, 'GET', '/api/v1/', { headers: { host: 'eu.trips.example' } })).status,
      200,
    );
    assert.equal((await call(strict, 'GET', '/api/v1/', { headers: { host: 'trips.example' } })).status, 200);
    const evil = await call(strict, 'GET', '/api/v1/', { headers: { host: 'evil.example' } });
    assertEnvelope(evil, 400, 'disallowed_host');
    assert.doesNotMatch(evil.text, /evil\.example/);
    // The security headers and the request id run first, so a refusal carries them too.
    assert.equal(evil.headers['x-content-type-options'], 'nosniff');
    assert.match(String(evil.headers['content-security-policy']), /default-src 'none'/);
    assert.ok(evil.headers['x-request-id']);
    assert.equal((await call(strict, 'GET', '/health/', { headers: { host: '10.0.0.7:8000' } })).status, 200);
  });
});

describe('CORS', () => {
  it('allows every method in preflight and keeps CORS headers on a 401', async () => {
    const { app: browser } = await buildTestApp({ CORS_ALLOWED_ORIGINS: 'http://app.example' });
    const preflight = await browser.inject({
      method: 'OPTIONS',
      url: '/api/v1/users/me/',
      headers: {
        origin: 'http://app.example',
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'authorization,if-match',
      },
    });
    assert.equal(preflight.statusCode, 204);
    assert.match(String(preflight.headers['access-control-allow-methods']), /PATCH/);
    assert.match(String(preflight.headers['access-control-allow-headers']), /If-Match/i);
    const unauthorized = await call(browser, 'GET', '/api/v1/users/me/', {
      headers: { origin: 'http://app.example', authorization: 'Bearer nope' },
    });
    assertEnvelope(unauthorized, 401, 'token_not_valid');
    assert.equal(unauthorized.headers['access-control-allow-origin'], 'http://app.example');
    const other = await call(browser, 'GET', '/api/v1/', { headers: { origin: 'http://evil.example' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });
});

describe('token guessing', () => {
  it('is rate limited like any other request', async () => {
    const { app: limited } = await buildTestApp({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_DEFAULT: '3' });
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await call(limited, 'GET', '/api/v1/users/me/', { token: `forged-${i}` })).status);
    assert.deepEqual(statuses, [401, 401, 401, 429]);
  });
});

describe('unknown fields', () => {
  it('are dropped from bodies, so read-only fields sent back change nothing', async () => {
    const user = await createUser(app);
    const response = await call(app, 'PATCH', '/api/v1/users/me/', {
      token: user.access,
      body: {
        first_name: 'Ada',
        id: '00000000-0000-0000-0000-000000000000',
        email: 'other@example.test',
        version: 99,
        is_staff: true,
      },
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.first_name ?? response.body.profile.first_name, 'Ada');
    assert.equal(response.body.id, user.id);
    assert.equal(response.body.email, user.email);
    assert.equal(response.body.version, 2);
  });

  it('do not change an idempotent create retry', async () => {
    const user = await createUser(app);
    const headers = { 'idempotency-key': 'retry-with-extra-field' };
    const first = await call(app, 'POST', '/api/v1/trips/', {
      token: user.access,
      headers,
      body: { title: 'Once' },
    });
    const again = await call(app, 'POST', '/api/v1/trips/', {
      token: user.access,
      headers,
      body: { title: 'Once', collaborator_count: 1 },
    });
    assert.equal(first.status, 201);
    assert.equal(again.status, 201);
    assert.equal(again.body.id, first.body.id);
  });
});

describe('page totals', () => {
  it('counts only when the page cannot tell', async () => {
    const window = (page: number) => ({ page, pageSize: 20, limit: 20, offset: (page - 1) * 20 });
    let counted = 0;
    const count = async () => {
      counted++;
      return 57;
    };
    assert.equal(await totalOf(window(1), 7, count), 7, 'a short first page is the whole list');
    assert.equal(await totalOf(window(3), 17, count), 57, 'a short last page: offset + length');
    assert.equal(await totalOf(window(1), 0, count), 0, 'an empty first page: nothing at all');
    assert.equal(counted, 0);
    assert.equal(await totalOf(window(1), 20, count), 57, 'a full page: more may follow');
    assert.equal(await totalOf(window(9), 0, count), 57, 'past the end: the total is still told');
    assert.equal(counted, 2);
  });
});
