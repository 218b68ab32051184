import path from 'node:path';
import { DEV_SECRET, TEST_SECRET, secretWeakness } from './defaults.ts';
import { EnvReader, type Env } from './parse.ts';
import { readRealtime } from './realtime.ts';
import {
  readHsts,
  readMetrics,
  readS3,
  readSentry,
  readStaticRoot,
  readWebConcurrency,
} from './production.ts';
import type { AppEnv, Config, DatabaseConfig, SslMode } from './types.ts';

export type { Config, AppEnv, DatabaseConfig, SslMode } from './types.ts';

/** Thrown with every problem found, so an operator fixes them all in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

function readDatabase(r: EnvReader, dataDir: string): DatabaseConfig {
  const poolSize = r.int('DB_POOL_SIZE', 20, 1, 500);
  const url = r.optional('DATABASE_URL');
  const host = r.optional('DB_HOST');
  if (!url && !host && !r.optional('DB_NAME')) {
    return { kind: 'pglite', dataDir: path.join(dataDir, 'pgdata') };
  }
  let finalUrl: URL;
  if (url) {
    try {
      finalUrl = new URL(url);
      if (!['postgres:', 'postgresql:'].includes(finalUrl.protocol)) throw new Error('scheme');
    } catch {
      r.problem('DATABASE_URL: expected postgresql://user:password@host:port/dbname');
      return { kind: 'pglite', dataDir: null };
    }
  } else {
    finalUrl = new URL('postgresql://localhost');
    finalUrl.hostname = host ?? 'localhost';
    finalUrl.port = String(r.int('DB_PORT', 5432, 1, 65535));
    finalUrl.username = encodeURIComponent(r.string('DB_USER', 'postgres'));
    finalUrl.password = encodeURIComponent(r.string('DB_PASSWORD', ''));
    finalUrl.pathname = `/${encodeURIComponent(r.string('DB_NAME', 'smart_trip_planner'))}`;
  }
  // sslmode is handled by us, not by the driver, so DB_SSLMODE and the URL mean the same thing.
  const urlSslMode = finalUrl.searchParams.get('sslmode') ?? undefined;
  finalUrl.searchParams.delete('sslmode');
  const sslMode = r.oneOf('DB_SSLMODE', SSL_MODES, (urlSslMode as SslMode | undefined) ?? 'prefer');
  if (urlSslMode && !SSL_MODES.includes(urlSslMode as SslMode)) {
    r.problem(`DATABASE_URL: unknown sslmode "${urlSslMode}"`);
  }
  return { kind: 'postgres', url: finalUrl.toString(), sslMode, poolSize };
}

function readRedis(r: EnvReader, env: AppEnv): Config['redis'] {
  const keyPrefix = r.string('REDIS_KEY_PREFIX', env === 'test' ? `stp-test:${process.pid}:` : 'stp:');
  const url = r.optional('REDIS_URL');
  if (url) {
    if (!/^rediss?:\/\//.test(url)) r.problem('REDIS_URL: expected redis://host:port/db or rediss://…');
    return { url, keyPrefix };
  }
  const host = r.optional('REDIS_HOST');
  if (!host) return null;
  return { url: `redis://${host}:${r.int('REDIS_PORT', 6379, 1, 65535)}`, keyPrefix };
}

/** Parses the environment once into a frozen Config, or throws ConfigError listing every problem. */
export function loadConfig(source: Env = process.env): Readonly<Config> {
  const r = new EnvReader(source);
  const env = r.oneOf<AppEnv>('APP_ENV', ['development', 'test', 'production'], 'development');
  const production = env === 'production';
  const dataDir = path.resolve(r.string('DATA_DIR', './data'));

  const rawSecret = r.optional('SECRET_KEY') ?? r.optional('DJANGO_SECRET_KEY');
  const weakness = secretWeakness(rawSecret);
  if (production && weakness) r.problem(weakness);
  const secretKey = rawSecret ?? (env === 'test' ? TEST_SECRET : DEV_SECRET);

  // Outside production any host is served (containers, LAN testing); production must list its names.
  const allowedHosts = r.list('ALLOWED_HOSTS', production ? [] : ['*']);
  if (production && allowedHosts.length === 0)
    r.problem('ALLOWED_HOSTS is empty: list the host names this API answers to');

  const corsAllowedOrigins = r.list('CORS_ALLOWED_ORIGINS');
  if (production && corsAllowedOrigins.includes('*')) {
    r.problem('CORS_ALLOWED_ORIGINS contains "*": list the exact front-end origins in production');
  }

  const argonMin = env === 'test' ? 1024 : 19456;
  const config: Config = {
    env,
    port: r.int('PORT', 8000, 0, 65535),
    host: r.string('HOST', '0.0.0.0'),
    dataDir,
    logLevel: r.oneOf(
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      env === 'test' ? 'silent' : 'info',
    ),
    secretKey,
    allowedHosts,
    corsAllowedOrigins,
    secureSslRedirect: r.bool('SECURE_SSL_REDIRECT', false),
    trustedProxies: r.list('TRUSTED_PROXIES'),
    database: readDatabase(r, dataDir),
    migrateOnStart: r.bool('MIGRATE_ON_START', !production),
    redis: readRedis(r, env),
    auth: {
      accessTokenTtlSec: r.seconds('ACCESS_TOKEN_LIFETIME', 15 * 60, 30, 24 * 3600),
      refreshTokenTtlSec: r.seconds('REFRESH_TOKEN_LIFETIME', 7 * 86400, 60, 365 * 86400),
      passwordResetTtlSec: r.seconds('PASSWORD_RESET_TTL', 3600, 60, 7 * 86400),
      argon2: {
        memoryCost: r.int('ARGON2_MEMORY_KIB', env === 'test' ? 1024 : 19456, argonMin, 1048576),
        timeCost: r.int('ARGON2_TIME_COST', env === 'test' ? 1 : 2, 1, 20),
      },
    },
    media: {
      dir: path.resolve(r.string('MEDIA_ROOT', path.join(dataDir, 'media'))),
      maxAvatarBytes: r.int('AVATAR_MAX_BYTES', 5 * 1024 * 1024, 1024, 100 * 1024 * 1024),
      s3: readS3(r),
    },
    hsts: readHsts(r),
    staticRoot: readStaticRoot(r),
    metrics: readMetrics(r, production),
    sentry: readSentry(r),
    webConcurrency: 1, // set below, once the database and Redis are known
    invitations: { ttlSec: r.seconds('INVITATION_TTL', 7 * 86400, 60, 365 * 86400) },
    http: {
      bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024),
      shutdownTimeoutMs: r.seconds('SHUTDOWN_TIMEOUT', 10, 1, 600) * 1000,
      compress: r.bool('COMPRESS_RESPONSES', true),
    },
    realtime: readRealtime(r),
    email: {
      host: r.optional('EMAIL_HOST') ?? null,
      port: r.int('EMAIL_PORT', 587, 1, 65535),
      user: r.optional('EMAIL_HOST_USER') ?? null,
      password: r.optional('EMAIL_HOST_PASSWORD') ?? null,
      useTls: r.bool('EMAIL_USE_TLS', true),
      from: r.string('DEFAULT_FROM_EMAIL', 'Smart Trip Planner <noreply@localhost>'),
      outboxWorker: r.bool('EMAIL_OUTBOX_WORKER', true),
    },
    rateLimit: {
      enabled: r.bool('RATE_LIMIT_ENABLED', env !== 'test'),
      max: r.int('RATE_LIMIT_DEFAULT', 100, 1, 1_000_000),
      windowSec: r.seconds('RATE_LIMIT_WINDOW', 60, 1, 86400),
      authMax: r.int('RATE_LIMIT_AUTH', 10, 1, 1_000_000),
    },
  };
  config.webConcurrency = readWebConcurrency(r, env, config.database, config.redis);

  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}
