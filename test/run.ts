/**
 * `npm test`: prepares one database for the whole run, then hands over to Node's test runner.
 * - Embedded (no DATABASE_URL): builds a migrated PGlite data directory once and caches it under
 *   .cache/, keyed by the migrations' content; each test process loads that dump in ~0.5 s instead
 *   of running initdb (~3-9 s).
 * - PostgreSQL (DATABASE_URL set): creates a fresh database for this run, migrates it, points every
 *   test process at it, and drops it afterwards (KEEP_TEST_DB=1 keeps it for inspection).
 * Extra arguments are test files to run instead of the whole suite.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase } from '../src/db/client.ts';
import { MIGRATIONS_DIR, migrate } from '../src/db/migrate.ts';

const root = path.resolve(import.meta.dirname, '..');

function migrationsHash(): string {
  const hash = createHash('sha256');
  for (const file of fs.readdirSync(MIGRATIONS_DIR, { recursive: true }).map(String).sort()) {
    const full = path.join(MIGRATIONS_DIR, file);
    if (fs.statSync(full).isFile()) hash.update(file).update(fs.readFileSync(full));
  }
  return hash.digest('hex').slice(0, 16);
}

async function pgliteTemplate(): Promise<string> {
  const file = path.join(root, '.cache', `pglite-template-${migrationsHash()}.tar.gz`);
  if (fs.existsSync(file)) return file;
  const started = Date.now();
  const database = await openDatabase({ kind: 'pglite', dataDir: null });
  await migrate(database);
  const dump = await database.dumpDataDir!();
  await database.close();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.${process.pid}.tmp`, Buffer.from(await dump.arrayBuffer()));
  fs.renameSync(`${file}.${process.pid}.tmp`, file);
  console.log(`# built PGlite template ${path.relative(root, file)} in ${Date.now() - started} ms`);
  return file;
}

async function freshPostgresDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const url = new URL(baseUrl);
  const name = `stp_test_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  url.pathname = `/${name}`;
  const database = await openDatabase({
    kind: 'postgres',
    url: url.toString(),
    sslMode: 'disable',
    poolSize: 2,
  });
  await migrate(database);
  await database.close();
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

function testFiles(args: string[]): string[] {
  if (args.length > 0) return args;
  return fs
    .readdirSync(path.join(root, 'test'), { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.test.ts'))
    .sort()
    .map((file) => path.join('test', file));
}

async function main(): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env, APP_ENV: 'test' };
  let cleanup = async () => undefined as void;
  if (process.env.DATABASE_URL) {
    const fresh = await freshPostgresDatabase(process.env.DATABASE_URL);
    env.DATABASE_URL = fresh.url;
    if (!process.env.KEEP_TEST_DB) cleanup = fresh.drop;
    console.log(`# PostgreSQL: fresh database ${new URL(fresh.url).pathname.slice(1)}`);
  } else {
    env.TEST_PGLITE_TEMPLATE = await pgliteTemplate();
    console.log('# embedded PGlite (set DATABASE_URL and REDIS_URL to run against real services)');
  }
  console.log(`# Redis: ${process.env.REDIS_URL ? 'yes' : 'in-process adapters'}`);
  const concurrency = Math.max(2, os.availableParallelism());
  const child = spawn(
    process.execPath,
    // A hung test fails after 10 minutes instead of hanging the run (and CI) forever.
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-timeout=600000',
      ...testFiles(process.argv.slice(2)),
    ],
    { cwd: root, env, stdio: 'inherit' },
  );
  const code = await new Promise<number>((resolve) =>
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))),
  );
  await cleanup().catch((error: unknown) => console.error('# could not drop the test database:', error));
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
