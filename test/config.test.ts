import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/index.ts';

const STRONG = 'q8Zr!vN2#pLw5@tY7^mK1&xB4*hG9(sD3)fJ6_cV0+eR8=uA2~iO5';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
}

describe('configuration', () => {
  it('development defaults need nothing set', () => {
    const config = loadConfig({});
    assert.equal(config.env, 'development');
    assert.equal(config.port, 8000);
    assert.equal(config.database.kind, 'pglite');
    assert.equal(config.redis, null);
    assert.equal(config.auth.accessTokenTtlSec, 900);
    assert.equal(config.auth.refreshTokenTtlSec, 7 * 86400);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.auth), 'config is frozen');
  });

  it('production lists every problem at once: missing secret, empty hosts, CORS wildcard, bad values', () => {
    const problems = problemsOf({
      APP_ENV: 'production',
      CORS_ALLOWED_ORIGINS: '*',
      PORT: 'eighty',
      RATE_LIMIT_ENABLED: 'maybe',
    });
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('SECRET_KEY') && p.includes('not set')));
    assert.ok(problems.some((p) => p.includes('ALLOWED_HOSTS')));
    assert.ok(problems.some((p) => p.includes('CORS_ALLOWED_ORIGINS')));
    assert.ok(problems.some((p) => p.startsWith('PORT')));
    assert.ok(problems.some((p) => p.startsWith('RATE_LIMIT_ENABLED')));
  });

  it('production refuses short, default and django-insecure secrets', () => {
    const base = { APP_ENV: 'production', ALLOWED_HOSTS: 'api.example.com' };
    assert.match(problemsOf({ ...base, SECRET_KEY: 'short' }).join(), /too short/);
    assert.match(problemsOf({ ...base, SECRET_KEY: 'your-secret-key-here' }).join(), /known default/);
    assert.match(
      problemsOf({ ...base, DJANGO_SECRET_KEY: `django-insecure-${'x'.repeat(60)}` }).join(),
      /django-insecure/,
    );
    assert.match(problemsOf({ ...base, SECRET_KEY: 'a'.repeat(60) }).join(), /distinct/);
    assert.deepEqual(problemsOf({ ...base, SECRET_KEY: STRONG }), []);
    // The Django name is read too, so the old checklist's instructions still apply.
    assert.equal(loadConfig({ ...base, DJANGO_SECRET_KEY: STRONG }).secretKey, STRONG);
  });

  it('builds the database URL from DB_* and honours sslmode from either place', () => {
    const config = loadConfig({
      DB_NAME: 'trips',
      DB_USER: 'app',
      DB_PASSWORD: 'p@ss word',
      DB_HOST: 'db.internal',
      DB_PORT: '6543',
      DB_SSLMODE: 'verify-full',
    });
    assert.equal(config.database.kind, 'postgres');
    if (config.database.kind !== 'postgres') return;
    const url = new URL(config.database.url);
    assert.equal(url.hostname, 'db.internal');
    assert.equal(url.port, '6543');
    assert.equal(decodeURIComponent(url.password), 'p@ss word');
    assert.equal(url.pathname, '/trips');
    assert.equal(config.database.sslMode, 'verify-full');

    const fromUrl = loadConfig({ DATABASE_URL: 'postgresql://u:p@h:5432/d?sslmode=require' });
    assert.ok(fromUrl.database.kind === 'postgres' && fromUrl.database.sslMode === 'require');
    assert.ok(fromUrl.database.kind === 'postgres' && !fromUrl.database.url.includes('sslmode'));
    assert.match(problemsOf({ DATABASE_URL: 'mysql://x' }).join(), /DATABASE_URL/);
  });

  it('reads Redis from REDIS_URL or REDIS_HOST/REDIS_PORT', () => {
    assert.equal(
      loadConfig({ REDIS_URL: 'rediss://u:p@cache:6380/2' }).redis?.url,
      'rediss://u:p@cache:6380/2',
    );
    assert.equal(loadConfig({ REDIS_HOST: 'cache', REDIS_PORT: '6390' }).redis?.url, 'redis://cache:6390');
    assert.match(problemsOf({ REDIS_URL: 'http://cache' }).join(), /REDIS_URL/);
  });

  it('parses Django-style booleans, durations and lists', () => {
    const config = loadConfig({
      SECURE_SSL_REDIRECT: 'True',
      ACCESS_TOKEN_LIFETIME: '5m',
      REFRESH_TOKEN_LIFETIME: '14d',
      CORS_ALLOWED_ORIGINS: 'https://a.example, https://b.example ,',
      RATE_LIMIT_WINDOW: '2m',
    });
    assert.equal(config.secureSslRedirect, true);
    assert.equal(config.auth.accessTokenTtlSec, 300);
    assert.equal(config.auth.refreshTokenTtlSec, 14 * 86400);
    assert.deepEqual(config.corsAllowedOrigins, ['https://a.example', 'https://b.example']);
    assert.equal(config.rateLimit.windowSec, 120);
    assert.match(problemsOf({ ACCESS_TOKEN_LIFETIME: 'forever' }).join(), /ACCESS_TOKEN_LIFETIME/);
  });

  it('the server process refuses to start in production with a weak secret, printing the whole list', () => {
    const root = path.resolve(import.meta.dirname, '..');
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, APP_ENV: 'production', SECRET_KEY: 'changeme', ALLOWED_HOSTS: '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /Invalid configuration/);
    assert.match(result.stderr, /SECRET_KEY is a known default value/);
    assert.match(result.stderr, /ALLOWED_HOSTS is empty/);
  });
});

describe('WebSocket limits (WS_*)', () => {
  it('has safe defaults, reads durations and sizes, and reports bad values', () => {
    assert.deepEqual(loadConfig({}).realtime, {
      maxFrameBytes: 65536,
      messagesPer10s: 60,
      maxSocketsPerUser: 10,
      heartbeatSec: 30,
      maxBufferedBytes: 1048576,
      replayMaxEvents: 1000,
    });
    const config = loadConfig({
      WS_MAX_FRAME_BYTES: '4096',
      WS_MESSAGES_PER_10S: '5',
      WS_MAX_SOCKETS_PER_USER: '2',
      WS_HEARTBEAT_SECONDS: '1m',
      WS_MAX_BUFFERED_BYTES: '65536',
      WS_REPLAY_MAX_EVENTS: '50',
    });
    assert.equal(config.realtime.heartbeatSec, 60);
    assert.equal(config.realtime.maxSocketsPerUser, 2);
    const problems = problemsOf({
      WS_MAX_FRAME_BYTES: '10',
      WS_HEARTBEAT_SECONDS: '0',
      WS_MESSAGES_PER_10S: 'many',
    });
    assert.equal(problems.length, 3, problems.join('\n'));
  });
});
