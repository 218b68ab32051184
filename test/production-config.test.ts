import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/index.ts';

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
};

const PRODUCTION = {
  APP_ENV: 'production',
  SECRET_KEY: 'production-grade-secret-key-for-config-tests-2b7e9f1c4a8d3e60',
  ALLOWED_HOSTS: 'api.example.com',
};

describe('production settings: defaults', () => {
  it('are safe and documented', () => {
    const config = loadConfig({});
    assert.equal(config.secureSslRedirect, false);
    assert.deepEqual(config.trustedProxies, []);
    assert.deepEqual(config.hsts, { maxAgeSec: 31536000, includeSubDomains: true, preload: false });
    assert.equal(config.media.s3, null);
    assert.deepEqual(config.metrics, { token: null, public: false });
    assert.deepEqual(config.sentry, { dsn: null });
    assert.equal(config.http.compress, true);
    assert.equal(config.webConcurrency, 1);
    assert.equal(config.staticRoot, path.resolve(import.meta.dirname, '..', 'public'));
  });
});

describe('production settings: parsing and validation', () => {
  it('HSTS_*: durations with units; preload only with a year and subdomains', () => {
    assert.equal(loadConfig({ HSTS_SECONDS: '730d' }).hsts.maxAgeSec, 730 * 86400);
    assert.equal(loadConfig({ HSTS_SECONDS: '0' }).hsts.maxAgeSec, 0);
    assert.ok(problems({ HSTS_SECONDS: 'forever' }).some((p) => p.startsWith('HSTS_SECONDS')));
    assert.ok(
      problems({ HSTS_PRELOAD: 'true', HSTS_SECONDS: '3600' }).some((p) => p.startsWith('HSTS_PRELOAD')),
    );
    assert.ok(
      problems({ HSTS_PRELOAD: 'true', HSTS_INCLUDE_SUBDOMAINS: 'false' }).some((p) =>
        p.startsWith('HSTS_PRELOAD'),
      ),
    );
    assert.deepEqual(problems({ HSTS_PRELOAD: 'yes' }), []);
  });

  it('S3_*: the bucket selects S3; path-style by default when an endpoint is given', () => {
    const aws = loadConfig({ S3_BUCKET: 'media' }).media.s3;
    assert.deepEqual(aws, {
      bucket: 'media',
      endpoint: null,
      region: 'us-east-1',
      accessKeyId: null,
      secretAccessKey: null,
      forcePathStyle: false,
    });
    const minio = loadConfig({
      S3_BUCKET: 'media',
      S3_ENDPOINT: 'http://minio:9000',
      S3_REGION: 'eu-west-1',
      S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 'secret',
    }).media.s3;
    assert.equal(minio?.forcePathStyle, true);
    assert.equal(minio?.region, 'eu-west-1');
    assert.equal(
      loadConfig({ S3_BUCKET: 'm', S3_ENDPOINT: 'https://r2.example', S3_FORCE_PATH_STYLE: 'false' }).media.s3
        ?.forcePathStyle,
      false,
    );
  });

  it('S3_*: half-configured storage is refused', () => {
    assert.ok(problems({ S3_ENDPOINT: 'http://minio:9000' }).some((p) => p.startsWith('S3_BUCKET')));
    assert.ok(problems({ S3_BUCKET: 'm', S3_ACCESS_KEY_ID: 'id' }).some((p) => p.includes('set together')));
    assert.ok(
      problems({ S3_BUCKET: 'm', S3_ENDPOINT: 'minio:9000' }).some((p) => p.startsWith('S3_ENDPOINT')),
    );
  });

  it('METRICS_TOKEN must be long in production; METRICS_PUBLIC is a boolean', () => {
    assert.ok(problems({ ...PRODUCTION, METRICS_TOKEN: 'short' }).some((p) => p.startsWith('METRICS_TOKEN')));
    assert.deepEqual(problems({ ...PRODUCTION, METRICS_TOKEN: 'a-long-enough-metrics-token' }), []);
    assert.equal(loadConfig({ METRICS_PUBLIC: 'True' }).metrics.public, true);
    assert.ok(problems({ METRICS_PUBLIC: 'sometimes' }).some((p) => p.startsWith('METRICS_PUBLIC')));
  });

  it('SENTRY_DSN must look like a DSN', () => {
    assert.equal(
      loadConfig({ SENTRY_DSN: 'https://abc@o1.ingest.example/42' }).sentry.dsn,
      'https://abc@o1.ingest.example/42',
    );
    assert.ok(problems({ SENTRY_DSN: 'not a url' }).some((p) => p.startsWith('SENTRY_DSN')));
    assert.ok(
      problems({ SENTRY_DSN: 'https://o1.ingest.example/42' }).some((p) => p.startsWith('SENTRY_DSN')),
    );
  });

  it('STATIC_ROOT and COMPRESS_RESPONSES', () => {
    assert.equal(loadConfig({ STATIC_ROOT: 'dist/web' }).staticRoot, path.resolve('dist/web'));
    assert.equal(loadConfig({ COMPRESS_RESPONSES: 'off' }).http.compress, false);
  });
});
