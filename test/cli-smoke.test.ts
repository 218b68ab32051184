import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createHttpClient, type HttpResponse } from '../src/cli/http-client.ts';
import { exitCodeOf, formatTable, type Row } from '../src/cli/report.ts';
import { headerChecks, redirectCheck } from '../src/cli/smoke-edge.ts';
import { httpBaseOf, smoke } from '../src/cli/smoke.ts';
import { buildTestApp } from './helpers/app.ts';
import { closeAtEnd } from './helpers/database.ts';

const ORIGIN = 'https://app.example.com';

/** The real app on a real port (plain http), production-like: rate limits on, one CORS origin. */
async function listening(
  overrides: Record<string, string> = {},
): Promise<{ app: FastifyInstance; base: string }> {
  const { app } = await buildTestApp({
    RATE_LIMIT_ENABLED: 'true',
    CORS_ALLOWED_ORIGINS: ORIGIN,
    ALLOWED_HOSTS: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ...overrides,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

const statusOf = (rows: Row[], item: string) => {
  const row = rows.find((r) => r.item === item);
  assert.ok(row, `no row ${item} in\n${formatTable(rows)}`);
  return row;
};

describe('smoke', () => {
  it('passes every check that applies against a running server over plain http', async () => {
    const { base } = await listening();
    const rows = await smoke(base, { origin: ORIGIN });
    const table = formatTable(rows);
    for (const item of [
      'Health /health/',
      'Database connection',
      'API root /api/v1/',
      'Content-Security-Policy',
      'X-Content-Type-Options',
      'Referrer-Policy',
      'X-Frame-Options',
      'X-Powered-By',
      'CORS allowed origin',
      'CORS other origin refused',
      'Rate limiting',
      'Static files /',
      'API docs /api/docs/',
      'Register',
      'Login',
      'JWT',
      'Trips API',
      'WebSocket chat',
      'Avatar upload',
    ]) {
      assert.equal(statusOf(rows, item).status, 'pass', `${item}\n${table}`);
    }
    // Plain http: the https-only items are reported as not checked, never as passed.
    assert.equal(statusOf(rows, 'HTTPS redirect').status, 'warn');
    assert.equal(statusOf(rows, 'Strict-Transport-Security').status, 'warn');
    assert.equal(exitCodeOf(rows), 0, table);
    assert.ok(!rows.some((r) => r.item === 'Clean-up'), 'the smoke trip is deleted afterwards');
  });

  it('fails with one clear line per missing item against a server without the protections', async () => {
    const bare = http.createServer((request, response) => {
      response.setHeader('x-powered-by', 'Express');
      response.setHeader('content-type', 'application/json');
      response.setHeader('access-control-allow-origin', '*');
      response.end(
        request.url === '/health/'
          ? '{"status":"healthy","version":"0","checks":{"database":"ok","redis":"ok"}}'
          : '{}',
      );
    });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    closeAtEnd(() => new Promise<void>((resolve) => bare.close(() => resolve())));
    const rows = await smoke(`http://127.0.0.1:${(bare.address() as AddressInfo).port}`, { origin: ORIGIN });
    const failed = rows.filter((r) => r.status === 'fail').map((r) => r.item);
    for (const item of [
      'Content-Security-Policy',
      'X-Content-Type-Options',
      'Referrer-Policy',
      'X-Powered-By',
      'CORS other origin refused',
      'Rate limiting',
      'Register',
      'Login',
    ]) {
      assert.ok(failed.includes(item), `${item} should fail:\n${formatTable(rows)}`);
    }
    assert.equal(statusOf(rows, 'X-Powered-By').detail, 'present (Express): remove it');
    assert.equal(exitCodeOf(rows), 1);
  });

  it('fails the rate-limit item when rate limiting is off', async () => {
    const { base } = await listening({ RATE_LIMIT_ENABLED: 'false' });
    const rows = await smoke(base, { origin: ORIGIN });
    assert.equal(statusOf(rows, 'Rate limiting').status, 'fail');
    assert.match(statusOf(rows, 'Rate limiting').detail, /RATE_LIMIT_ENABLED is off/);
  });

  it('checks the redirect on the plain-http address: 301 to https passes, a 200 fails', async () => {
    const client = createHttpClient({ insecure: false, timeoutMs: 5000 });
    try {
      const on = await listening({ SECURE_SSL_REDIRECT: 'true' });
      const target = { base: 'https://127.0.0.1:1', httpBase: on.base, origin: null };
      const passed = await redirectCheck(client, target);
      assert.equal(passed.status, 'pass', passed.detail);
      assert.match(passed.detail, /^301 → https:\/\/127\.0\.0\.1:\d+\/api\/v1\/\?smoke=redirect$/);
      const off = await listening({ SECURE_SSL_REDIRECT: 'false' });
      const failed = await redirectCheck(client, { ...target, httpBase: off.base });
      assert.equal(failed.status, 'fail');
      assert.match(failed.detail, /answered 200 over plain http: SECURE_SSL_REDIRECT is off/);
    } finally {
      client.close();
    }
  });

  it('requires a year of HSTS on https responses', () => {
    const response = (headers: http.IncomingHttpHeaders): HttpResponse => ({
      status: 200,
      headers,
      text: '',
      json: null,
      ms: 1,
    });
    const hsts = (headers: http.IncomingHttpHeaders) =>
      headerChecks(response(headers), true).find((r) => r.item === 'Strict-Transport-Security')!;
    assert.equal(hsts({ 'strict-transport-security': 'max-age=31536000; includeSubDomains' }).status, 'pass');
    assert.equal(hsts({ 'strict-transport-security': 'max-age=300' }).status, 'warn');
    assert.equal(hsts({}).status, 'fail');
    assert.equal(hsts({}).detail, 'missing on an https response');
  });

  it('derives the plain-http address only when the https URL uses the default port', () => {
    assert.equal(httpBaseOf(new URL('https://api.example.com/'), undefined), 'http://api.example.com');
    assert.equal(httpBaseOf(new URL('https://127.0.0.1:8443'), undefined), null);
    assert.equal(
      httpBaseOf(new URL('https://127.0.0.1:8443'), 'http://127.0.0.1:8080/'),
      'http://127.0.0.1:8080',
    );
  });
});
