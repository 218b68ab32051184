import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, it } from 'node:test';
import { precompress } from '../scripts/precompress.ts';
import { negotiateEncoding } from '../src/http/compression.ts';
import { IMMUTABLE, SHORT, cacheControlFor } from '../src/http/static-files.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { createUser } from './helpers/factories.ts';

// A build output: a hashed bundle big enough to compress, an unhashed page, a tiny file.
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stp-static-'));
const bundle = `/* app */\n${Array.from({ length: 400 }, (_, i) => `export const value${i} = ${i};`).join('\n')}\n`;
fs.mkdirSync(path.join(root, 'assets'));
fs.writeFileSync(path.join(root, 'assets', 'app.3f9a1c2e.js'), bundle);
fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>t</title><p>hello</p>');
fs.writeFileSync(path.join(root, 'tiny.txt'), 'x');
const written = precompress(root);

const { app } = await buildTestApp({
  STATIC_ROOT: root,
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_DEFAULT: '2',
});

const fetchRaw = (url: string, encoding?: string) =>
  app.inject({ method: 'GET', url, headers: encoding ? { 'accept-encoding': encoding } : {} });

describe('static files', () => {
  it('serves the repository public/ folder by default', async () => {
    const { app: plain } = await buildTestApp();
    const robots = await call(plain, 'GET', '/robots.txt');
    assert.equal(robots.status, 200);
    assert.match(robots.text, /User-agent: \*/);
    assert.match(String(robots.headers['content-type']), /^text\/plain/);
    assert.equal(robots.headers['cache-control'], SHORT);
    assert.equal((await call(plain, 'GET', '/')).status, 200, 'public/index.html at /');
  });

  it('caches hashed names for a year (immutable) and everything else briefly', async () => {
    const hashed = await fetchRaw('/assets/app.3f9a1c2e.js');
    assert.equal(hashed.statusCode, 200);
    assert.equal(hashed.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal((await fetchRaw('/index.html')).headers['cache-control'], SHORT);
    assert.equal((await fetchRaw('/')).headers['cache-control'], SHORT);
    assert.equal(cacheControlFor('logo-5d41402abc4b.svg'), IMMUTABLE);
    assert.equal(cacheControlFor('app.3f9a1c2e.js.br'), IMMUTABLE);
    assert.equal(cacheControlFor('app.3f9a.js'), SHORT, 'fewer than 8 hex digits is not a content hash');
    assert.equal(cacheControlFor('robots.txt'), SHORT);
  });

  it('sends the precompressed brotli or gzip file to clients that accept it', async () => {
    assert.ok(written.some((f) => f.endsWith('app.3f9a1c2e.js.br')));
    assert.ok(written.some((f) => f.endsWith('app.3f9a1c2e.js.gz')));
    const br = await fetchRaw('/assets/app.3f9a1c2e.js', 'br, gzip');
    assert.equal(br.headers['content-encoding'], 'br');
    assert.match(String(br.headers.vary), /accept-encoding/i);
    assert.ok(br.rawPayload.length < bundle.length / 3, 'actually compressed');
    assert.equal(zlib.brotliDecompressSync(br.rawPayload).toString(), bundle);
    assert.equal(br.headers['cache-control'], IMMUTABLE);
    assert.match(String(br.headers['content-type']), /javascript/);

    const gz = await fetchRaw('/assets/app.3f9a1c2e.js', 'gzip');
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(zlib.gunzipSync(gz.rawPayload).toString(), bundle);

    const identity = await fetchRaw('/assets/app.3f9a1c2e.js');
    assert.equal(identity.headers['content-encoding'], undefined);
    assert.equal(identity.body, bundle);
  });

  it('precompresses only what is worth it, and removes stale siblings', () => {
    assert.ok(!fs.existsSync(path.join(root, 'tiny.txt.br')), 'under 1 KiB: left alone');
    fs.writeFileSync(path.join(root, 'tiny.txt.gz'), 'stale');
    precompress(root);
    assert.ok(!fs.existsSync(path.join(root, 'tiny.txt.gz')));
  });

  it('does not serve the compressed siblings as files of their own, nor unknown paths', async () => {
    assert.equal((await call(app, 'GET', '/assets/app.3f9a1c2e.js.br')).status, 404);
    const missing = await call(app, 'GET', '/assets/missing.js');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.type, 'not_found');
    assert.equal(
      (await call(app, 'POST', '/nothing-here')).status,
      404,
      'no wildcard route swallowing paths',
    );
  });

  it('is not rate-limited (a page loads many files)', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await fetchRaw('/index.html')).statusCode, 200);
  });
});

describe('dynamic response compression', () => {
  it('compresses large JSON for clients that accept it, leaves small responses alone', async () => {
    const { app: api } = await buildTestApp();
    const user = await createUser(api);
    for (let i = 0; i < 12; i++) {
      const trip = await call(api, 'POST', '/api/v1/trips/', {
        token: user.access,
        body: { title: `Compressible trip ${i}`, description: 'A long weekend by the sea. '.repeat(4) },
      });
      assert.equal(trip.status, 201);
    }
    const list = (encoding?: string) =>
      api.inject({
        url: '/api/v1/trips/?page_size=100',
        headers: {
          authorization: `Bearer ${user.access}`,
          ...(encoding ? { 'accept-encoding': encoding } : {}),
        },
      });
    const plain = await list();
    assert.ok(plain.rawPayload.length > 4096, `a large page (${plain.rawPayload.length} bytes)`);
    const br = await list('br');
    assert.equal(br.headers['content-encoding'], 'br');
    assert.ok(br.rawPayload.length < plain.rawPayload.length / 3);
    assert.deepEqual(JSON.parse(zlib.brotliDecompressSync(br.rawPayload).toString()), plain.json());
    const gz = await list('gzip');
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(JSON.parse(zlib.gunzipSync(gz.rawPayload).toString()), plain.json());

    // A kept answer keeps its compressed forms (http/response-cache.ts), and a change replaces
    // them with the rest of the answer: the next compressed read shows it, in either encoding.
    const again = await list('br');
    assert.deepEqual(again.rawPayload, br.rawPayload, 'a kept answer reads back the same bytes');
    const first = plain.json().results[0];
    const renamed = await call(api, 'PATCH', `/api/v1/trips/${first.id}/`, {
      token: user.access,
      body: { title: 'Renamed after compression' },
    });
    assert.equal(renamed.status, 200, renamed.text);
    for (const [encoding, decode] of [
      ['br', zlib.brotliDecompressSync],
      ['gzip', zlib.gunzipSync],
    ] as const) {
      const after = await list(encoding);
      assert.equal(after.headers['content-encoding'], encoding);
      const titles = JSON.parse(decode(after.rawPayload).toString()).results.map(
        (t: { title: string }) => t.title,
      );
      assert.equal(titles[0], 'Renamed after compression', encoding);
    }

    const small = await api.inject({ url: '/health/live', headers: { 'accept-encoding': 'br' } });
    assert.equal(small.headers['content-encoding'], undefined, 'under 1 KiB');
    const auth = await api.inject({
      method: 'POST',
      url: '/api/v1/auth/login/',
      headers: { 'accept-encoding': 'gzip' },
      payload: { email: user.email, password: user.password },
    });
    assert.equal(auth.statusCode, 200);
    assert.equal(auth.headers['content-encoding'], undefined, 'token responses are never compressed');
  });

  it('negotiates by Accept-Encoding: brotli first, q=0 refuses, * means any, unknown means none', () => {
    assert.equal(negotiateEncoding('gzip, deflate, br'), 'br');
    assert.equal(negotiateEncoding('br;q=0, gzip'), 'gzip');
    assert.equal(negotiateEncoding('GZIP;q=0.5'), 'gzip');
    assert.equal(negotiateEncoding('br;q=0, gzip;q=0'), null);
    assert.equal(negotiateEncoding('*'), 'gzip');
    assert.equal(negotiateEncoding('identity'), null);
    assert.equal(negotiateEncoding('deflate'), null);
    assert.equal(negotiateEncoding(undefined), null);
  });

  it('compresses streamed files without a sibling, and says Vary on every compressible answer', async () => {
    // The docs page's own script is served as a stream and has no precompressed sibling here.
    const { app: api } = await buildTestApp();
    const page = await api.inject({ url: '/api/docs/static/swagger-ui-bundle.js' });
    assert.equal(page.statusCode, 200);
    const gz = await api.inject({
      url: '/api/docs/static/swagger-ui-bundle.js',
      headers: { 'accept-encoding': 'gzip' },
    });
    assert.equal(gz.statusCode, 200);
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers['content-length'], undefined, 'the compressed length is not known up front');
    assert.match(String(gz.headers.vary), /accept-encoding/i);
    assert.equal(zlib.gunzipSync(gz.rawPayload).toString(), page.payload);
    const refused = await api.inject({ url: '/api/v1/', headers: { 'accept-encoding': 'gzip;q=0' } });
    assert.equal(refused.headers['content-encoding'], undefined);
    assert.match(String(refused.headers.vary), /accept-encoding/i);
  });

  it('COMPRESS_RESPONSES=false turns it off', async () => {
    const { app: api } = await buildTestApp({ COMPRESS_RESPONSES: 'false' });
    const docs = await api.inject({ url: '/api/schema/', headers: { 'accept-encoding': 'br, gzip' } });
    assert.equal(docs.statusCode, 200);
    assert.ok(docs.rawPayload.length > 1024);
    assert.equal(docs.headers['content-encoding'], undefined);
  });
});
