import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, ConfigError } from '../src/config/index.ts';
import { closeAtEnd } from './helpers/database.ts';
import { services } from './helpers/env.ts';

const root = path.resolve(import.meta.dirname, '..');

interface Server {
  child: ChildProcess;
  port: number;
  lines: () => Record<string, unknown>[];
  exited: Promise<{ code: number | null; ms: number }>;
}

/** Starts `src/main.ts` as production would (npm start), on a free port; resolves once it listens. */
async function startServer(env: Record<string, string>): Promise<Server> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stp-process-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      APP_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      // These servers share the suite's database: their outbox sender would take other files' mail.
      EMAIL_OUTBOX_WORKER: 'false',
      ...(services.databaseUrl
        ? { DATABASE_URL: services.databaseUrl, DB_SSLMODE: 'disable', DB_POOL_SIZE: '3' }
        : {}),
      ...(services.redisUrl ? { REDIS_URL: services.redisUrl } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let signalledAt = 0;
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) =>
    child.on('exit', (code) => resolve({ code, ms: Date.now() - signalledAt })),
  );
  closeAtEnd(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const lines = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const check = () => {
      const listening = lines().find((line) => String(line.msg).includes('listening on'));
      if (listening) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(Number(listening.port));
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', () => reject(new Error(`server exited:\n${output}`)));
  });
  const originalKill = child.kill.bind(child);
  child.kill = (signal?: NodeJS.Signals | number) => {
    signalledAt = Date.now();
    return originalKill(signal);
  };
  return { child, port, lines, exited };
}

/** Opens a connection and sends a login request's headers and the first half of its body. */
async function startSlowLogin(port: number) {
  const body = JSON.stringify({ email: 'slow@example.test', password: 'not-the-password' });
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let response = '';
  socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(
    `POST /api/v1/auth/login/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
  );
  return {
    finish: async () => {
      socket.write(body.slice(10));
      await closed;
      return response;
    },
    abandon: () => socket.destroy(),
  };
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds or 60 s pass (the assertion after it reports what is wrong). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await condition()) && Date.now() < deadline) await sleep(100);
}

describe('graceful shutdown of a real server process', () => {
  it('on SIGTERM: stops accepting, finishes the request in flight, exits 0', async () => {
    const server = await startServer({ SHUTDOWN_TIMEOUT: '20' });
    const health = await fetch(`http://127.0.0.1:${server.port}/health/live`);
    assert.equal(health.status, 200);
    const slow = await startSlowLogin(server.port);
    await sleep(200); // the request is in flight: headers read, body half there

    server.child.kill('SIGTERM');
    await sleep(500);
    assert.equal(await refused(server.port), true, 'no new connections once shutdown began');
    assert.equal(server.child.exitCode, null, 'still running: a request is in flight');

    const response = await slow.finish();
    assert.match(response, /^HTTP\/1\.1 401 /, 'the in-flight request got its real answer');
    assert.match(response, /"type":"authentication_failed"|"type":"not_authenticated"|"code":401/);
    const { code, ms } = await server.exited;
    assert.equal(code, 0);
    assert.ok(ms < 20_000, `exited within SHUTDOWN_TIMEOUT (${ms} ms)`);
    const messages = server.lines().map((line) => line.msg);
    assert.ok(messages.includes('shutting down: finishing in-flight requests'));
    assert.ok(messages.includes('shut down cleanly'));
  });

  it('exits non-zero once SHUTDOWN_TIMEOUT passes with a request still unfinished', async () => {
    const server = await startServer({ SHUTDOWN_TIMEOUT: '2' });
    const stuck = await startSlowLogin(server.port);
    await sleep(200);
    server.child.kill('SIGTERM');
    const { code, ms } = await server.exited;
    stuck.abandon();
    assert.equal(code, 1);
    assert.ok(ms >= 1900 && ms < 6000, `gave up after about 2 s (${ms} ms)`);
    assert.ok(server.lines().some((line) => line.msg === 'shutdown timed out; exiting'));
  });
});

describe('WEB_CONCURRENCY', () => {
  const shared = { DATABASE_URL: 'postgresql://db.internal/app', REDIS_URL: 'redis://cache.internal:6379' };
  const production = {
    APP_ENV: 'production',
    SECRET_KEY: 'production-grade-secret-key-for-process-tests-5c8e1a7f3b9d2e40',
    ALLOWED_HOSTS: 'api.example.com',
  };

  it('defaults to the CPU count in production with PostgreSQL and Redis, else 1', () => {
    assert.equal(loadConfig({ ...production, ...shared }).webConcurrency, os.availableParallelism());
    assert.equal(loadConfig({ ...production, DATABASE_URL: shared.DATABASE_URL }).webConcurrency, 1);
    assert.equal(loadConfig({ APP_ENV: 'development', ...shared }).webConcurrency, 1);
    assert.equal(loadConfig({ ...production, ...shared, WEB_CONCURRENCY: '3' }).webConcurrency, 3);
  });

  it('refuses more than one worker without PostgreSQL and Redis (state would not be shared)', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.problems;
      }
    };
    assert.ok(problems({ WEB_CONCURRENCY: '2' }).some((p) => p.includes('needs PostgreSQL')));
    assert.ok(
      problems({ WEB_CONCURRENCY: '2', DATABASE_URL: shared.DATABASE_URL }).some((p) =>
        p.includes('needs REDIS_URL'),
      ),
    );
    assert.deepEqual(problems({ WEB_CONCURRENCY: '2', ...shared }), []);
    assert.ok(problems({ WEB_CONCURRENCY: '0' }).some((p) => p.startsWith('WEB_CONCURRENCY')));
  });

  it(
    'runs workers on one port, adds their metrics up, and drains them all on SIGTERM',
    { skip: services.databaseUrl && services.redisUrl ? false : 'needs DATABASE_URL and REDIS_URL' },
    async () => {
      const server = await startServer({ WEB_CONCURRENCY: '2', SHUTDOWN_TIMEOUT: '20' });
      const base = `http://127.0.0.1:${server.port}`;
      // startServer returned on the first worker; wait for every worker's own "listening" line.
      const workers = () => new Set(server.lines().flatMap((l) => (l.worker ? [l.worker] : [])));
      await until(() => workers().size === 2);
      assert.equal(workers().size, 2, 'two workers listening');
      const requests = 20;
      for (let i = 0; i < requests; i++)
        assert.equal((await fetch(`${base}/api/v1/`, { headers: { connection: 'close' } })).status, 200);
      // Counted in onResponse, just after each client had its answer: poll briefly.
      const counted = async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        const line =
          /^http_request_duration_seconds_count\{method="GET",route="\/api\/v1",status_code="200"\} (\d+)$/m;
        return Number(line.exec(text)?.[1]);
      };
      await until(async () => (await counted()) >= requests);
      assert.equal(await counted(), requests, 'every worker counted: the scrape is the whole cluster');

      const slow = await startSlowLogin(server.port);
      await sleep(200);
      server.child.kill('SIGTERM');
      await sleep(500);
      assert.match(await slow.finish(), /^HTTP\/1\.1 401 /);
      const { code } = await server.exited;
      assert.equal(code, 0);
    },
  );
});
