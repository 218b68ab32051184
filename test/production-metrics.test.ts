import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { buildApp } from '../src/app.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { createUser } from './helpers/factories.ts';
import { makeTrip, startRealtimeApp } from './helpers/realtime.ts';
import { closeAtEnd, testDatabase } from './helpers/database.ts';
import { testConfig } from './helpers/env.ts';

const TOKEN = 'metrics-token-0123456789abcdef';
const PRODUCTION = {
  APP_ENV: 'production',
  SECRET_KEY: 'production-grade-secret-key-for-metrics-tests-8f3a9c2e7b1d4f60',
  ALLOWED_HOSTS: 'localhost',
  // The production floor for argon2 is high; nothing here hashes passwords.
};

/** Metric names declared in an exposition (`# TYPE name kind`). */
function declared(exposition: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const match of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) names.set(match[1]!, match[2]!);
  return names;
}

describe('/metrics access', () => {
  it('is open outside production without a token', async () => {
    const { app } = await buildTestApp();
    const response = await call(app, 'GET', '/metrics');
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  it('with METRICS_TOKEN: 401 without a bearer token, 403 with a wrong one, 200 with it', async () => {
    const { app } = await buildTestApp({ METRICS_TOKEN: TOKEN });
    const missing = await call(app, 'GET', '/metrics');
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error.type, 'not_authenticated');
    assert.match(String(missing.headers['www-authenticate']), /^Bearer/);
    const wrong = await call(app, 'GET', '/metrics', { token: `${TOKEN}x` });
    assert.equal(wrong.status, 403);
    assert.equal(
      (await call(app, 'GET', '/metrics', { headers: { authorization: `Basic ${TOKEN}` } })).status,
      401,
    );
    const right = await call(app, 'GET', '/metrics', { token: TOKEN });
    assert.equal(right.status, 200);
    assert.match(right.text, /http_request_duration_seconds/);
    assert.ok(!right.text.includes(TOKEN));
  });

  it('in production: hidden (404) without a token unless METRICS_PUBLIC=true; the token works', async () => {
    const hidden = await buildTestApp(PRODUCTION);
    assert.equal((await call(hidden.app, 'GET', '/metrics')).status, 404);
    const open = await buildTestApp({ ...PRODUCTION, METRICS_PUBLIC: 'true' });
    assert.equal((await call(open.app, 'GET', '/metrics')).status, 200);
    const guarded = await buildTestApp({ ...PRODUCTION, METRICS_TOKEN: TOKEN, METRICS_PUBLIC: 'true' });
    assert.equal(
      (await call(guarded.app, 'GET', '/metrics')).status,
      401,
      'a token, when set, is always required',
    );
    assert.equal((await call(guarded.app, 'GET', '/metrics', { token: TOKEN })).status, 200);
  });
});

describe('/metrics content', () => {
  it('histograms request durations by route pattern and status, not by raw URL', async () => {
    const { app } = await buildTestApp();
    const id = randomUUID();
    assert.equal((await call(app, 'GET', `/api/v1/trips/${id}/`)).status, 401);
    await call(app, 'GET', '/api/v1/');
    const text = (await call(app, 'GET', '/metrics')).text;
    assert.equal(declared(text).get('http_request_duration_seconds'), 'histogram');
    assert.match(
      text,
      /http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/trips\/:id\/",status_code="401"\} [1-9]/,
    );
    assert.match(
      text,
      /http_request_duration_seconds_bucket\{le="0\.1",method="GET",route="\/api\/v1",status_code="200"\}/,
    );
    assert.ok(!text.includes(id), 'ids never become labels');
  });

  it('reports WebSocket connections and frames, the database pool and event-loop lag', async () => {
    const { app, config, join } = await startRealtimeApp();
    const scrape = async (pattern: RegExp) =>
      Number(pattern.exec((await call(app, 'GET', '/metrics')).text)?.[1] ?? 0);
    const gauge = () => scrape(/^websocket_connections (\S+)$/m);
    const framesIn = () => scrape(/^websocket_messages_total\{direction="in"\} (\S+)$/m);
    const before = await gauge();
    const inBefore = await framesIn();
    const owner = await createUser(app);
    const trip = await makeTrip(app, owner);
    const first = await join(trip.id, owner);
    const second = await join(trip.id, owner);
    assert.equal(await gauge(), before + 2);
    first.send({ type: 'ping' });
    await first.next('pong');
    assert.equal(await framesIn(), inBefore + 1);
    first.close();
    second.close();
    await Promise.all([first.closed, second.closed]);
    // The server sees the close a moment after the client does.
    for (let i = 0; i < 50 && (await gauge()) !== before; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await gauge(), before);
    const text = (await call(app, 'GET', '/metrics')).text;
    const max = config.database.kind === 'postgres' ? config.database.poolSize : 1;
    assert.match(
      text,
      new RegExp(`^db_pool_connections\\{state="max"\\} ${max}$`, 'm'),
      'one pool, counted once',
    );
    for (const state of ['total', 'idle', 'waiting'])
      assert.match(text, new RegExp(`db_pool_connections\\{state="${state}"\\} \\d`));
    assert.match(text, /^nodejs_eventloop_lag_seconds \d/m);
    assert.match(text, /^nodejs_eventloop_lag_p99_seconds \d/m);
    assert.equal(declared(text).get('rate_limit_rejections_total'), 'counter');
  });

  it('deploy/prometheus/alerts.yml is valid YAML whose rules use only metrics we expose', async () => {
    const file = path.join(import.meta.dirname, '..', 'deploy', 'prometheus', 'alerts.yml');
    const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as {
      groups: {
        name: string;
        rules: {
          alert: string;
          expr: string;
          for?: string;
          labels: { severity: string };
          annotations: { summary: string };
        }[];
      }[];
    };
    const { app } = await buildTestApp();
    await call(app, 'GET', '/api/v1/');
    const exposed = declared((await call(app, 'GET', '/metrics')).text);
    const alerts = doc.groups.flatMap((g) => g.rules);
    assert.ok(alerts.length >= 8);
    const covered = new Set(doc.groups.map((g) => g.name.split('.').at(-1)));
    for (const area of ['errors', 'latency', 'health', 'saturation']) assert.ok(covered.has(area), area);
    for (const rule of alerts) {
      assert.match(rule.alert, /^[A-Z][A-Za-z]+$/);
      assert.ok(['warning', 'critical'].includes(rule.labels.severity), rule.alert);
      assert.ok(rule.annotations.summary, rule.alert);
      if (rule.for) assert.match(rule.for, /^\d+[smh]$/);
      for (const [, name] of rule.expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)) {
        if (name === 'up') continue; // written by Prometheus itself
        const base = name!.replace(/_(bucket|count|sum)$/, '');
        assert.ok(
          exposed.has(name!) || exposed.get(base) === 'histogram',
          `${rule.alert} uses ${name}, which /metrics does not expose`,
        );
      }
    }
  });
});

describe('Sentry', () => {
  it('reports a 5xx with its request id to SENTRY_DSN, and not a 4xx', async () => {
    const envelopes: { path: string; items: unknown[] }[] = [];
    const ingest = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        let body = Buffer.concat(chunks);
        if (request.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
        const items = body
          .toString('utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as unknown);
        envelopes.push({ path: request.url ?? '', items });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => ingest.listen(0, '127.0.0.1', resolve));
    closeAtEnd(() => new Promise((resolve) => ingest.close(() => resolve())));
    const { port } = ingest.address() as AddressInfo;

    const config = testConfig({ SENTRY_DSN: `http://publickey@127.0.0.1:${port}/42`, LOG_LEVEL: 'silent' });
    const app = await buildApp(config, { database: await testDatabase(), emailSender: false });
    app.get('/boom', async () => {
      throw new Error('kaboom from a handler');
    });
    await app.ready();
    closeAtEnd(() => app.close());

    const notFound = await call(app, 'GET', '/api/v1/nothing/');
    assert.equal(notFound.status, 404);
    const failed = await call(app, 'GET', '/boom');
    assert.equal(failed.status, 500);
    assert.equal(failed.body.error.message, 'Internal server error.', 'the client sees no detail');
    const requestId = String(failed.headers['x-request-id']);

    const deadline = Date.now() + 10_000;
    while (envelopes.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300)); // anything else that was going to arrive
    assert.equal(envelopes.length, 1, 'exactly one report: the 500, not the 404');
    const [envelope] = envelopes;
    assert.equal(envelope!.path.split('?')[0], '/api/42/envelope/');
    const event = envelope!.items.find(
      (item) => typeof item === 'object' && item !== null && 'exception' in item,
    ) as { tags: Record<string, string>; exception: { values: { value: string }[] }; environment: string };
    assert.ok(event, 'an error event');
    assert.equal(event.tags.request_id, requestId);
    assert.equal(event.tags.status_code, '500');
    assert.equal(event.tags.route, '/boom');
    assert.equal(event.environment, 'test');
    assert.equal(event.exception.values.at(-1)?.value, 'kaboom from a handler');
  });
});
