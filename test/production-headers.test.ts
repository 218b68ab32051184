import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, ConfigError } from '../src/config/index.ts';
import { buildTestApp, call } from './helpers/app.ts';

const { app } = await buildTestApp({
  CORS_ALLOWED_ORIGINS: 'https://app.example.com,https://www.example.com',
});

/** A CSP header as directive → sources. */
function parseCsp(header: unknown): Map<string, string[]> {
  assert.equal(typeof header, 'string', 'a Content-Security-Policy header');
  const directives = new Map<string, string[]>();
  for (const part of String(header).split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name, sources);
  }
  return directives;
}

const COMMON = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  // Avatars are embedded by web clients on other origins; CORS and tokens guard the data.
  'cross-origin-resource-policy': 'cross-origin',
  'origin-agent-cluster': '?1',
  'x-dns-prefetch-control': 'off',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

describe('security headers', () => {
  it('every API response carries the helmet set, a strict CSP and no X-Powered-By', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/'],
      ['GET', '/api/v1/users/me/'], // 401
      ['GET', '/api/v1/nowhere/'], // 404
      ['GET', '/health/'],
      ['GET', '/media/avatars/none.png'],
    ] as const) {
      const response = await call(app, method, url);
      for (const [name, value] of Object.entries(COMMON))
        assert.equal(response.headers[name], value, `${name} on ${url}`);
      assert.equal(response.headers['x-powered-by'], undefined);
      const csp = parseCsp(response.headers['content-security-policy']);
      assert.deepEqual(csp.get('default-src'), ["'none'"], url);
      assert.deepEqual(csp.get('frame-ancestors'), ["'none'"], url);
      assert.deepEqual(csp.get('base-uri'), ["'none'"], url);
      assert.deepEqual(csp.get('form-action'), ["'none'"], url);
      assert.equal(csp.size, 4, `nothing else is allowed on ${url}`);
    }
  });

  it('the docs page gets a CSP that admits its own scripts and styles, and nothing inline', async () => {
    const page = await call(app, 'GET', '/api/docs/');
    assert.equal(page.status, 200);
    const csp = parseCsp(page.headers['content-security-policy']);
    assert.deepEqual(csp.get('default-src'), ["'none'"]);
    assert.deepEqual(csp.get('script-src'), ["'self'"], 'no unsafe-inline, no unsafe-eval, no CDN');
    assert.ok(csp.get('style-src')?.includes("'self'"));
    assert.ok(!csp.get('style-src')?.includes("'unsafe-inline'"));
    assert.deepEqual(csp.get('connect-src'), ["'self'"], 'Try it out calls this origin only');
    assert.deepEqual(csp.get('frame-ancestors'), ["'none'"]);

    // Every script and stylesheet of the page is a same-origin file the page can load under that CSP.
    const html = page.text;
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>\s*\S/, 'no inline script bodies');
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no inline event handlers');
    const assets = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*\bhref)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(assets.some((a) => a.endsWith('swagger-ui-bundle.js')));
    assert.ok(
      assets.some((a) => a.endsWith('swagger-initializer.js')),
      'the initializer is a file, not inline',
    );
    for (const asset of assets) {
      assert.ok(!/^(https?:)?\/\//.test(asset), `${asset} is same-origin`);
      const url = new URL(asset, 'http://localhost/api/docs/').pathname;
      const served = await call(app, 'GET', url);
      assert.equal(served.status, 200, url);
      assert.match(String(served.headers['content-type']), /javascript|css|image\/png/, url);
    }
  });

  it('the static files get a same-origin CSP (a web client later), never frameable', async () => {
    const response = await call(app, 'GET', '/');
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    const csp = parseCsp(response.headers['content-security-policy']);
    assert.deepEqual(csp.get('default-src'), ["'self'"]);
    assert.deepEqual(csp.get('frame-ancestors'), ["'none'"]);
    assert.deepEqual(csp.get('object-src'), ["'none'"]);
    assert.ok(![...csp.values()].flat().includes("'unsafe-inline'"));
    for (const [name, value] of Object.entries(COMMON)) assert.equal(response.headers[name], value, name);
  });
});

describe('CORS', () => {
  const preflight = (origin: string, method = 'PATCH') =>
    app.inject({
      method: 'OPTIONS',
      url: '/api/v1/trips/',
      headers: {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'authorization, content-type, if-match',
      },
    });

  it('allows a listed origin, exposing the headers clients read', async () => {
    const response = await call(app, 'GET', '/api/v1/', { headers: { origin: 'https://app.example.com' } });
    assert.equal(response.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.match(String(response.headers.vary), /Origin/);
    const exposed = String(response.headers['access-control-expose-headers']).toLowerCase();
    for (const name of ['etag', 'x-request-id', 'ratelimit-limit', 'ratelimit-remaining', 'retry-after']) {
      assert.ok(exposed.includes(name), name);
    }
    assert.equal(
      response.headers['access-control-allow-credentials'],
      undefined,
      'bearer tokens, no cookies',
    );
  });

  it('answers a preflight from a listed origin with the methods and headers the API uses', async () => {
    const response = await preflight('https://www.example.com');
    assert.equal(response.statusCode, 204);
    assert.equal(response.headers['access-control-allow-origin'], 'https://www.example.com');
    assert.match(String(response.headers['access-control-allow-methods']), /PATCH/);
    assert.match(String(response.headers['access-control-allow-headers']).toLowerCase(), /authorization/);
  });

  it('denies other origins: no Access-Control-Allow-Origin, so the browser blocks the read', async () => {
    for (const origin of ['https://evil.example', 'https://app.example.com.evil.example', 'null']) {
      const response = await call(app, 'GET', '/api/v1/', { headers: { origin } });
      assert.equal(response.headers['access-control-allow-origin'], undefined, origin);
      assert.equal((await preflight(origin)).headers['access-control-allow-origin'], undefined, origin);
    }
  });

  it('varies by Origin on every response, and names no origin or exposed header without one', async () => {
    const response = await call(app, 'GET', '/api/v1/');
    assert.match(String(response.headers.vary), /Origin/);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
    assert.equal(response.headers['access-control-expose-headers'], undefined);
  });

  it('answers a preflight with an empty 204 that browsers may keep for ten minutes', async () => {
    const response = await preflight('https://app.example.com', 'DELETE');
    assert.equal(response.statusCode, 204);
    assert.equal(response.headers['access-control-max-age'], '600');
    assert.equal(response.body, '');
  });

  it('an OPTIONS that is no preflight, or from another origin, is not answered as one', async () => {
    const plain = await app.inject({ method: 'OPTIONS', url: '/api/v1/trips/' });
    assert.notEqual(plain.statusCode, 204);
    assert.equal(plain.headers['access-control-allow-methods'], undefined);
    assert.equal(JSON.parse(plain.body).error.code !== undefined, true, 'an error in the envelope');
    const other = await preflight('https://evil.example');
    assert.notEqual(other.statusCode, 204);
    assert.equal(other.headers['access-control-allow-methods'], undefined);
  });

  it('refuses a wildcard in production at start-up, allows it elsewhere', () => {
    const production = {
      APP_ENV: 'production',
      SECRET_KEY: 'k'.repeat(20) + 'a-long-random-production-secret-0123456789',
      ALLOWED_HOSTS: 'api.example.com',
      CORS_ALLOWED_ORIGINS: 'https://app.example.com,*',
    };
    assert.throws(
      () => loadConfig(production),
      (error: unknown) =>
        error instanceof ConfigError && error.problems.some((p) => p.startsWith('CORS_ALLOWED_ORIGINS')),
    );
    assert.deepEqual(loadConfig({ APP_ENV: 'development', CORS_ALLOWED_ORIGINS: '*' }).corsAllowedOrigins, [
      '*',
    ]);
  });
});
