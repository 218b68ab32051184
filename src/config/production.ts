/** Readers for the production settings of issue 6: TLS/HSTS, S3 media, metrics, Sentry, workers. */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EnvReader } from './parse.ts';
import type { AppEnv, Config, DatabaseConfig, S3Config } from './types.ts';

const ONE_YEAR = 365 * 86400;
/** The repository's public/ folder, wherever the process was started from. */
export const DEFAULT_STATIC_ROOT = fileURLToPath(new URL('../../public', import.meta.url));

/** HSTS_*: one year with subdomains by default; preload only when the preload list would accept it. */
export function readHsts(r: EnvReader): Config['hsts'] {
  const hsts = {
    maxAgeSec: r.seconds('HSTS_SECONDS', ONE_YEAR, 0, 2 * ONE_YEAR),
    includeSubDomains: r.bool('HSTS_INCLUDE_SUBDOMAINS', true),
    preload: r.bool('HSTS_PRELOAD', false),
  };
  // hstspreload.org refuses (and browsers ignore) a preload request without both of these.
  if (hsts.preload && (hsts.maxAgeSec < ONE_YEAR || !hsts.includeSubDomains)) {
    r.problem('HSTS_PRELOAD needs HSTS_SECONDS of at least 31536000 and HSTS_INCLUDE_SUBDOMAINS=true');
  }
  return hsts;
}

/** S3_*: set S3_BUCKET to store media in an S3-compatible bucket instead of MEDIA_ROOT. */
export function readS3(r: EnvReader): S3Config | null {
  const bucket = r.optional('S3_BUCKET');
  const endpoint = r.optional('S3_ENDPOINT') ?? null;
  const accessKeyId = r.optional('S3_ACCESS_KEY_ID') ?? null;
  const secretAccessKey = r.optional('S3_SECRET_ACCESS_KEY') ?? null;
  const region = r.string('S3_REGION', 'us-east-1');
  // Read even without a bucket, so a typo in it is reported rather than ignored.
  const forcePathStyle = r.bool('S3_FORCE_PATH_STYLE', endpoint !== null);
  if (!bucket) {
    if (endpoint || accessKeyId || secretAccessKey) r.problem('S3_BUCKET is required when S3_* is set');
    return null;
  }
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint)) {
    r.problem('S3_ENDPOINT: expected a URL such as https://s3.example.com');
  }
  // One without the other is a half-pasted secret; neither means the SDK's own chain (IAM role…).
  if ((accessKeyId === null) !== (secretAccessKey === null)) {
    r.problem('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together');
  }
  return { bucket, endpoint, region, accessKeyId, secretAccessKey, forcePathStyle };
}

/** METRICS_TOKEN / METRICS_PUBLIC. */
export function readMetrics(r: EnvReader, production: boolean): Config['metrics'] {
  const token = r.optional('METRICS_TOKEN') ?? null;
  if (production && token !== null && token.length < 16) {
    r.problem('METRICS_TOKEN is too short (at least 16 characters)');
  }
  return { token, public: r.bool('METRICS_PUBLIC', false) };
}

/** SENTRY_DSN: errors answered with a 5xx are reported there when set. */
export function readSentry(r: EnvReader): Config['sentry'] {
  const dsn = r.optional('SENTRY_DSN') ?? null;
  if (dsn !== null) {
    try {
      const url = new URL(dsn);
      if (!url.username || !/^https?:$/.test(url.protocol)) throw new Error('dsn');
    } catch {
      r.problem('SENTRY_DSN: expected https://<key>@<host>/<project>');
    }
  }
  return { dsn };
}

/**
 * WEB_CONCURRENCY: several workers need every piece of shared state outside the process, so more
 * than one requires PostgreSQL (PGlite is single-process) and Redis (pub/sub, rate counts).
 */
export function readWebConcurrency(
  r: EnvReader,
  env: AppEnv,
  database: DatabaseConfig,
  redis: Config['redis'],
): number {
  const shared = database.kind === 'postgres' && redis !== null;
  const fallback = env === 'production' && shared ? os.availableParallelism() : 1;
  const workers = r.int('WEB_CONCURRENCY', fallback, 1, 256);
  if (workers > 1 && database.kind !== 'postgres') {
    r.problem('WEB_CONCURRENCY > 1 needs PostgreSQL (DATABASE_URL): the embedded database is single-process');
  }
  if (workers > 1 && redis === null) {
    r.problem('WEB_CONCURRENCY > 1 needs REDIS_URL: workers share rate limits and live events through it');
  }
  return workers;
}

/** STATIC_ROOT, resolved against the working directory when relative. */
export function readStaticRoot(r: EnvReader): string {
  return path.resolve(r.string('STATIC_ROOT', DEFAULT_STATIC_ROOT));
}
