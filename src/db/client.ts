import fs from 'node:fs';
import type { Logger as DrizzleLogger } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { DatabaseConfig, SslMode } from '../config/index.ts';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;
/** The query builder every module uses; the same type whether PGlite or PostgreSQL is behind it. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle; use cases take `Db | Tx` so they compose inside a caller's transaction. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Rows of a raw query's result, from either driver (node-postgres wraps them in `rows`). */
export const rowsOf = <T = Record<string, unknown>>(result: unknown): T[] =>
  (result as { rows?: T[] }).rows ?? (result as T[]);

/** Runs one raw SQL statement on a single session (migrations, backups, admin commands). */
export type RawExec = (text: string, params?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

export interface Database {
  kind: 'pglite' | 'postgres';
  db: Db;
  /** Holds one connection for `fn`, so session state (advisory locks) stays put. */
  withSession<T>(fn: (exec: RawExec) => Promise<T>): Promise<T>;
  /** Resolves when the database answers `SELECT 1` within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<void>;
  pool(): { total: number; idle: number; waiting: number };
  /** PGlite only: the whole data directory as a gzipped tarball (test templates, backups). */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Called for every statement the query builder sends; tests count queries with it. */
  onQuery?: (sql: string) => void;
  /** A PGlite data directory dump to start from (tests load a migrated template). */
  pgliteTemplate?: Blob;
}

function sslOption(mode: SslMode): pg.PoolConfig['ssl'] {
  switch (mode) {
    case 'disable':
    case 'allow':
    case 'prefer':
      // node-postgres cannot fall back from TLS to plain text; prefer/allow mean "plain" here.
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function drizzleLogger(onQuery?: (sql: string) => void): DrizzleLogger | undefined {
  return onQuery ? { logQuery: (query) => onQuery(query) } : undefined;
}

/** Opens PGlite (embedded) or a PostgreSQL pool according to config. */
export async function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<Database> {
  if (config.kind === 'pglite') return openPglite(config.dataDir, options);
  return openPostgres(config, options);
}

async function openPglite(dataDir: string | null, options: OpenOptions): Promise<Database> {
  // Loaded only here: PGlite's module costs ~45 MB of RSS that a PostgreSQL worker never needs.
  const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
  ]);
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const client = options.pgliteTemplate
    ? new PGlite({ loadDataDir: options.pgliteTemplate })
    : new PGlite(dataDir ?? undefined);
  await client.waitReady;
  const db = drizzlePglite(client, { schema, logger: drizzleLogger(options.onQuery) }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    // PGlite is one session already; exec runs on it directly.
    withSession: (fn) => fn(async (text, params) => client.query(text, params)),
    ping: (timeoutMs = 2000) => withTimeout(client.query('select 1'), timeoutMs).then(() => undefined),
    pool: () => ({ total: 1, idle: 1, waiting: 0 }),
    dumpDataDir: () => client.dumpDataDir('gzip'),
    close: () => client.close(),
  };
}

async function openPostgres(
  config: Extract<DatabaseConfig, { kind: 'postgres' }>,
  options: OpenOptions,
): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize,
    ssl: sslOption(config.sslMode),
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    application_name: 'smart-trip-planner',
  });
  // An idle client dropped by the server emits here; without a listener Node would crash.
  pool.on('error', () => undefined);
  const db = drizzlePg(pool, { schema, logger: drizzleLogger(options.onQuery) }) as unknown as Db;
  return {
    kind: 'postgres',
    db,
    async withSession(fn) {
      const client = await pool.connect();
      try {
        return await fn((text, params) => client.query(text, params));
      } finally {
        client.release();
      }
    },
    ping: (timeoutMs = 2000) => withTimeout(pool.query('select 1'), timeoutMs).then(() => undefined),
    pool: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  };
}
