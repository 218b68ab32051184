/**
 * The deployment checklist items that the configuration alone decides (docs/deployment.md lists
 * each one with its variable). Reachability is probed separately (probes.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/index.ts';
import { secretWeakness } from '../config/defaults.ts';
import { hstsValue } from '../http/https.ts';
import { fail, pass, warn, type Row } from './report.ts';

const ONE_YEAR = 365 * 86400;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** True for loopback names and addresses (plain text to them never crosses a network). */
export const isLocalHost = (host: string): boolean =>
  LOCAL_HOSTS.has(host.toLowerCase()) || /^127\./.test(host) || host === '' || host.startsWith('/');

function hosts(config: Config): Row {
  const hostsList = config.allowedHosts;
  if (hostsList.length === 0) return fail('ALLOWED_HOSTS', 'empty: list the host names clients use');
  if (hostsList.includes('*'))
    return fail('ALLOWED_HOSTS', '"*" accepts any Host header: list your host names');
  if (hostsList.every((h) => isLocalHost(h.replace(/^\./, ''))))
    return warn('ALLOWED_HOSTS', `only local names (${hostsList.join(', ')}): public clients get 400`);
  return pass('ALLOWED_HOSTS', hostsList.join(', '));
}

function proxies(config: Config): Row {
  const list = config.trustedProxies;
  if (list.length === 0) {
    return config.secureSslRedirect
      ? fail(
          'TRUSTED_PROXIES',
          'empty while SECURE_SSL_REDIRECT=true: TLS ends at your proxy, so every request looks like http and is redirected forever',
        )
      : warn(
          'TRUSTED_PROXIES',
          "empty: X-Forwarded-* ignored (client IPs are the proxy's, https not detected)",
        );
  }
  if (list.some((p) => ['0.0.0.0/0', '::/0', '*'].includes(p)))
    return warn('TRUSTED_PROXIES', `${list.join(', ')} trusts forwarded headers from anyone (forgeable)`);
  return pass('TRUSTED_PROXIES', list.join(', '));
}

function hsts(config: Config): Row {
  const value = hstsValue(config.hsts);
  if (!value) return fail('HSTS_SECONDS', '0: Strict-Transport-Security is off');
  if (config.hsts.maxAgeSec < ONE_YEAR)
    return warn('HSTS_SECONDS', `${value} (a year or more is recommended)`);
  return pass('HSTS_SECONDS', value);
}

function cors(config: Config): Row {
  const origins = config.corsAllowedOrigins;
  if (origins.includes('*'))
    return fail('CORS_ALLOWED_ORIGINS', '"*" lets any site call the API: list exact origins');
  if (origins.length === 0) return pass('CORS_ALLOWED_ORIGINS', 'none (no cross-origin browser access)');
  const bad = origins.filter((o) => {
    try {
      return new URL(o).origin !== o.replace(/\/$/, '').toLowerCase() || o.endsWith('/');
    } catch {
      return true;
    }
  });
  if (bad.length > 0)
    return fail(
      'CORS_ALLOWED_ORIGINS',
      `not an origin (scheme://host[:port], no path or slash): ${bad.join(', ')}`,
    );
  const plain = origins.filter((o) => o.startsWith('http:') && !isLocalHost(new URL(o).hostname));
  if (plain.length > 0) return warn('CORS_ALLOWED_ORIGINS', `plain-http origin(s): ${plain.join(', ')}`);
  return pass('CORS_ALLOWED_ORIGINS', origins.join(', '));
}

function database(config: Config): Row[] {
  const db = config.database;
  if (db.kind === 'pglite')
    return [warn('DATABASE_URL', `unset: embedded PGlite in ${db.dataDir} (one process on one machine)`)];
  const url = new URL(db.url);
  const where = `${url.hostname}:${url.port || 5432}${url.pathname}`;
  const total = db.poolSize * config.webConcurrency;
  const rows = [pass('DATABASE_URL', `PostgreSQL at ${where}`)];
  if (['require', 'verify-ca', 'verify-full'].includes(db.sslMode)) {
    rows.push(
      pass(
        'DB_SSLMODE',
        db.sslMode === 'verify-full'
          ? 'verify-full'
          : `${db.sslMode} (verify-full also checks the host name)`,
      ),
    );
  } else if (isLocalHost(url.hostname)) {
    rows.push(
      warn('DB_SSLMODE', `${db.sslMode}: plain text (acceptable only because the database is local)`),
    );
  } else if (!url.hostname.includes('.')) {
    // A bare name (`db`, `postgres`) is a compose/container network service: private, but still plain text.
    rows.push(
      warn('DB_SSLMODE', `${db.sslMode}: plain text to "${url.hostname}" (a private container network?)`),
    );
  } else {
    rows.push(fail('DB_SSLMODE', `${db.sslMode}: plain text over the network; set require or verify-full`));
  }
  rows.push(
    total > 100
      ? warn(
          'DB_POOL_SIZE',
          `${db.poolSize} × ${config.webConcurrency} worker(s) = ${total} connections: check max_connections`,
        )
      : pass(
          'DB_POOL_SIZE',
          `${db.poolSize} per process × ${config.webConcurrency} worker(s) = ${total} connections`,
        ),
  );
  return rows;
}

function redis(config: Config): Row {
  if (!config.redis)
    return warn(
      'REDIS_URL',
      'unset: rate limits and live events are per instance (needed for more than one)',
    );
  const url = new URL(config.redis.url);
  if (url.protocol === 'redis:' && !isLocalHost(url.hostname))
    return warn('REDIS_URL', `redis:// to ${url.hostname} is plain text: use rediss://`);
  return pass('REDIS_URL', `${url.protocol}//${url.hostname}:${url.port || 6379}`);
}

function email(config: Config): Row[] {
  const { host, port, user, useTls, from } = config.email;
  if (!host) return [fail('EMAIL_HOST', 'unset: invitation emails are only written to DATA_DIR/outbox')];
  const mode = port === 465 ? 'implicit TLS' : useTls ? 'STARTTLS required' : 'plain text';
  const rows = [pass('EMAIL_HOST', `${host}:${port} (${mode}${user ? `, user ${user}` : ''})`)];
  if (!useTls && port !== 465) {
    rows.push(
      user
        ? fail('EMAIL_USE_TLS', 'false: the SMTP password is sent in plain text')
        : warn('EMAIL_USE_TLS', 'false: mail leaves in plain text'),
    );
  } else rows.push(pass('EMAIL_USE_TLS', mode));
  rows.push(
    /@(localhost|example\.(com|org|net))\b/i.test(from)
      ? warn('DEFAULT_FROM_EMAIL', `placeholder sender "${from}"`)
      : pass('DEFAULT_FROM_EMAIL', from),
  );
  return rows;
}

function media(config: Config): Row {
  const { s3, dir } = config.media;
  if (s3) return pass('S3_BUCKET', `${s3.bucket}${s3.endpoint ? ` at ${s3.endpoint}` : ` (${s3.region})`}`);
  return warn('S3_BUCKET', `unset: media in MEDIA_ROOT=${dir}; several instances must share that directory`);
}

function staticFiles(config: Config): Row {
  const root = config.staticRoot;
  if (!fs.existsSync(root)) return warn('STATIC_ROOT', `${root} does not exist: no static files served`);
  const files = fs.readdirSync(root, { recursive: true }).map(String);
  const packed = files.filter((f) => /\.(br|gz)$/.test(f)).length;
  const served = files.filter(
    (f) => !/\.(br|gz)$/.test(f) && fs.statSync(path.join(root, f)).isFile(),
  ).length;
  return pass('STATIC_ROOT', `${root}: ${served} file(s), ${packed} precompressed sibling(s)`);
}

function observability(config: Config): Row[] {
  const rows = [
    config.sentry.dsn
      ? pass('SENTRY_DSN', `errors reported to ${new URL(config.sentry.dsn).host}`)
      : warn('SENTRY_DSN', 'unset: 5xx errors are only logged'),
  ];
  if (config.metrics.token) rows.push(pass('METRICS_TOKEN', '/metrics needs the Bearer token'));
  else if (config.metrics.public)
    rows.push(warn('METRICS_TOKEN', 'unset and METRICS_PUBLIC=true: /metrics is open to anyone'));
  else rows.push(warn('METRICS_TOKEN', 'unset: /metrics is hidden (404); set it for Prometheus'));
  rows.push(
    ['debug', 'trace'].includes(config.logLevel)
      ? warn('LOG_LEVEL', `${config.logLevel}: verbose logs in production`)
      : pass('LOG_LEVEL', `${config.logLevel} (JSON lines on stdout, secrets redacted)`),
  );
  return rows;
}

/** Every configuration-only checklist item, in checklist order. */
export function configChecks(config: Readonly<Config>): Row[] {
  const weakness = secretWeakness(config.secretKey);
  const { enabled, max, windowSec, authMax } = config.rateLimit;
  return [
    config.env === 'production'
      ? pass('APP_ENV', 'production')
      : fail('APP_ENV', `${config.env}: production rules are not enforced; set APP_ENV=production`),
    weakness ? fail('SECRET_KEY', weakness) : pass('SECRET_KEY', `${config.secretKey.length} characters`),
    hosts(config),
    config.secureSslRedirect
      ? pass('SECURE_SSL_REDIRECT', 'true (http is redirected to https; /health and /metrics exempt)')
      : fail('SECURE_SSL_REDIRECT', 'false: plain http is served; set SECURE_SSL_REDIRECT=true'),
    proxies(config),
    hsts(config),
    cors(config),
    ...database(config),
    pass(
      'MIGRATE_ON_START',
      config.migrateOnStart
        ? 'true: each start applies migrations'
        : 'false: run `migrate` as a release step',
    ),
    redis(config),
    ...email(config),
    enabled
      ? pass('RATE_LIMIT_ENABLED', `${max} requests per ${windowSec}s; ${authMax} for login/register/refresh`)
      : fail('RATE_LIMIT_ENABLED', 'false: no rate limiting'),
    config.auth.accessTokenTtlSec > 3600
      ? warn('ACCESS_TOKEN_LIFETIME', `${config.auth.accessTokenTtlSec}s: stolen tokens stay valid long`)
      : pass('ACCESS_TOKEN_LIFETIME', `${config.auth.accessTokenTtlSec}s`),
    media(config),
    staticFiles(config),
    ...observability(config),
    pass('WEB_CONCURRENCY', `${config.webConcurrency} worker process(es)`),
  ];
}
