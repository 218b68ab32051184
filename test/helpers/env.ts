import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.ts';

/** The services this run targets: set by `npm test` (test/run.ts) or by hand. */
export const services = {
  databaseUrl: process.env.DATABASE_URL ?? null,
  redisUrl: process.env.REDIS_URL ?? null,
  pgliteTemplate: process.env.TEST_PGLITE_TEMPLATE ?? null,
};

/** A private data directory per test process (media uploads, outbox files). */
export const testDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stp-test-'));

/** A test configuration: the run's database and Redis, cheap password hashing, rate limits off. */
export function testConfig(overrides: Record<string, string | undefined> = {}): Readonly<Config> {
  return loadConfig({
    APP_ENV: 'test',
    DATA_DIR: testDataDir,
    DATABASE_URL: services.databaseUrl ?? undefined,
    DB_SSLMODE: services.databaseUrl ? 'disable' : undefined,
    DB_POOL_SIZE: '5',
    REDIS_URL: services.redisUrl ?? undefined,
    ...overrides,
  });
}
