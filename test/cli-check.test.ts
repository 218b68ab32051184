import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { deployReport } from '../src/cli/check.ts';
import { configChecks } from '../src/cli/deploy-checks.ts';
import type { Row } from '../src/cli/report.ts';
import { exitCodeOf, formatTable } from '../src/cli/report.ts';
import { loadConfig } from '../src/config/index.ts';
import { services } from './helpers/env.ts';

const smtp = new SMTPServer({ authOptional: true, disableReverseLookup: true, logger: false });
await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
const smtpPort = (smtp.server.address() as AddressInfo).port;
after(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stp-check-'));
const STRONG = 'k7Qp2vX9mR4tW8yB1nC6fH3jL5sD0gZaEeUuIiOoPpAaSsDdFf';

/** A production environment that passes every check (services from the test run when set). */
const good = (overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
  APP_ENV: 'production',
  SECRET_KEY: STRONG,
  ALLOWED_HOSTS: 'api.example.com',
  SECURE_SSL_REDIRECT: 'true',
  TRUSTED_PROXIES: '10.0.0.1',
  CORS_ALLOWED_ORIGINS: 'https://app.example.com',
  DATA_DIR: dataDir,
  DATABASE_URL: services.databaseUrl ?? undefined,
  DB_POOL_SIZE: '5',
  REDIS_URL: services.redisUrl ?? undefined,
  EMAIL_HOST: '127.0.0.1',
  EMAIL_PORT: String(smtpPort),
  EMAIL_USE_TLS: 'false',
  DEFAULT_FROM_EMAIL: 'Trips <noreply@trips.test>',
  SENTRY_DSN: 'https://public@sentry.example.com/1',
  METRICS_TOKEN: 'metrics-token-0123456789',
  WEB_CONCURRENCY: '1',
  ...overrides,
});

const row = (rows: Row[], item: string) => {
  const found = rows.find((r) => r.item === item);
  assert.ok(found, `no row ${item} in\n${formatTable(rows)}`);
  return found;
};
const failed = (rows: Row[]) => rows.filter((r) => r.status === 'fail').map((r) => r.item);
const configRows = (env: Record<string, string | undefined>) => configChecks(loadConfig(env));

describe('check --deploy', () => {
  it('passes a good production configuration, with every service reachable', async () => {
    const rows = await deployReport(good());
    assert.deepEqual(failed(rows), [], formatTable(rows));
    assert.equal(exitCodeOf(rows), 0);
    for (const item of [
      'SECRET_KEY',
      'ALLOWED_HOSTS',
      'SECURE_SSL_REDIRECT',
      'TRUSTED_PROXIES',
      'HSTS_SECONDS',
    ]) {
      assert.equal(row(rows, item).status, 'pass', item);
    }
    assert.equal(row(rows, 'CORS_ALLOWED_ORIGINS').detail, 'https://app.example.com');
    assert.equal(row(rows, 'SMTP reachable').status, 'pass');
    assert.equal(row(rows, 'Media storage writable').status, 'pass');
    assert.equal(row(rows, 'DATA_DIR writable').status, 'pass');
    assert.equal(row(rows, 'RATE_LIMIT_ENABLED').status, 'pass');
    assert.equal(row(rows, 'SENTRY_DSN').status, 'pass');
    assert.equal(row(rows, 'METRICS_TOKEN').status, 'pass');
    // Plain SMTP without a password is a warning, not a failure.
    assert.equal(row(rows, 'EMAIL_USE_TLS').status, 'warn');
    if (services.databaseUrl) {
      assert.equal(row(rows, 'Database reachable').status, 'pass');
      assert.equal(row(rows, 'Migrations').detail, 'all applied');
    } else {
      assert.equal(row(rows, 'Database reachable').status, 'warn', 'PGlite is never opened by the check');
    }
    assert.equal(row(rows, 'Redis reachable').status, services.redisUrl ? 'pass' : 'warn');
    // The probe cleans up after itself.
    assert.deepEqual(fs.readdirSync(path.join(dataDir, 'media')), []);
  });

  it('reports every configuration error as a fail row when the configuration does not load', async () => {
    const rows = await deployReport(
      good({ SECRET_KEY: 'changeme', CORS_ALLOWED_ORIGINS: '*', ALLOWED_HOSTS: '' }),
    );
    assert.equal(exitCodeOf(rows), 1);
    const problems = rows.filter((r) => r.item === 'Configuration').map((r) => r.detail);
    assert.ok(problems.includes('SECRET_KEY is a known default value'), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('CORS_ALLOWED_ORIGINS contains "*"')));
    assert.ok(problems.some((p) => p.startsWith('ALLOWED_HOSTS is empty')));
  });

  it('fails the development defaults: environment, secret, hosts, redirect, email', () => {
    const rows = configRows({ DATA_DIR: dataDir });
    assert.deepEqual(failed(rows), [
      'APP_ENV',
      'SECRET_KEY',
      'ALLOWED_HOSTS',
      'SECURE_SSL_REDIRECT',
      'EMAIL_HOST',
    ]);
    assert.match(row(rows, 'ALLOWED_HOSTS').detail, /"\*"/);
  });

  it('fails HSTS off, rate limiting off, an SSL redirect with no trusted proxy, and a bad origin', () => {
    const rows = configRows(
      good({
        HSTS_SECONDS: '0',
        RATE_LIMIT_ENABLED: 'false',
        TRUSTED_PROXIES: undefined,
        CORS_ALLOWED_ORIGINS: 'https://app.example.com/',
      }),
    );
    assert.deepEqual(failed(rows), [
      'TRUSTED_PROXIES',
      'HSTS_SECONDS',
      'CORS_ALLOWED_ORIGINS',
      'RATE_LIMIT_ENABLED',
    ]);
    assert.match(row(rows, 'TRUSTED_PROXIES').detail, /redirected forever/);
    assert.match(row(rows, 'CORS_ALLOWED_ORIGINS').detail, /https:\/\/app\.example\.com\//);
  });

  it('fails plain-text database and SMTP logins over the network, warns on weaker choices', () => {
    const rows = configRows(
      good({
        DATABASE_URL: 'postgresql://app:pw@db.example.com:5432/trips?sslmode=prefer',
        REDIS_URL: 'redis://cache.example.com:6379',
        EMAIL_HOST_USER: 'mailer',
        EMAIL_HOST_PASSWORD: 'pw',
        HSTS_SECONDS: '86400',
        TRUSTED_PROXIES: '0.0.0.0/0',
        DEFAULT_FROM_EMAIL: 'noreply@localhost',
        SENTRY_DSN: undefined,
        METRICS_TOKEN: undefined,
      }),
    );
    assert.deepEqual(failed(rows), ['DB_SSLMODE', 'EMAIL_USE_TLS']);
    for (const item of [
      'REDIS_URL',
      'HSTS_SECONDS',
      'TRUSTED_PROXIES',
      'DEFAULT_FROM_EMAIL',
      'SENTRY_DSN',
      'METRICS_TOKEN',
    ]) {
      assert.equal(row(rows, item).status, 'warn', item);
    }
    const tls = configRows(
      good({ DATABASE_URL: 'postgresql://app:pw@db.example.com/trips?sslmode=verify-full' }),
    );
    assert.equal(row(tls, 'DB_SSLMODE').status, 'pass');
    const compose = configRows(
      good({ DATABASE_URL: 'postgresql://app:pw@db:5432/trips', DB_SSLMODE: 'disable' }),
    );
    assert.equal(row(compose, 'DB_SSLMODE').status, 'warn', 'a compose service name is a private network');
  });

  it('fails unreachable services and unwritable storage', async () => {
    const file = path.join(dataDir, 'not-a-directory');
    fs.writeFileSync(file, 'x');
    const rows = await deployReport(
      good({
        DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/nothing',
        REDIS_URL: 'redis://127.0.0.1:1',
        EMAIL_PORT: '1',
        MEDIA_ROOT: path.join(file, 'media'),
      }),
    );
    assert.deepEqual(
      failed(rows).filter((item) => item !== 'DATA_DIR writable'),
      ['Database reachable', 'Redis reachable', 'SMTP reachable', 'Media storage writable'],
      formatTable(rows),
    );
  });

  it('runs as a command: a table, failing lines on stderr, exit code 1 on a fail and 0 otherwise', () => {
    const cli = (env: Record<string, string | undefined>, ...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'check', '--deploy', ...args], {
        cwd: path.resolve(import.meta.dirname, '..'),
        env: { PATH: process.env.PATH, ...env },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const bad = cli(good({ SECURE_SSL_REDIRECT: 'false' }), '--offline');
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stdout, /^FAIL +SECURE_SSL_REDIRECT +false: plain http is served/m);
    assert.match(bad.stderr, /FAIL SECURE_SSL_REDIRECT/);
    const ok = cli(good(), '--offline');
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^PASS +SECRET_KEY/m);
    assert.match(ok.stdout, /^WARN +Reachability +not checked \(--offline\)/m);
  });
});
