/** Runs pg_dump / pg_restore against the configured PostgreSQL (connection passed through PG* variables). */
import { spawn } from 'node:child_process';
import type { DatabaseConfig } from '../config/index.ts';
import type { Env } from '../config/parse.ts';

type Postgres = Extract<DatabaseConfig, { kind: 'postgres' }>;

/**
 * libpq's variables for the configured database. The password travels in PGPASSWORD, not on the
 * command line, so `ps` never shows it; PGSSLMODE carries DB_SSLMODE (libpq knows all six modes).
 */
export function libpqEnv(database: Postgres): Record<string, string> {
  const url = new URL(database.url);
  const socketHost = url.searchParams.get('host');
  return {
    PGHOST: socketHost ?? (url.hostname.replace(/^\[|\]$/g, '') || 'localhost'),
    PGPORT: url.port || '5432',
    PGUSER: decodeURIComponent(url.username) || 'postgres',
    PGPASSWORD: decodeURIComponent(url.password),
    PGDATABASE: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
    PGSSLMODE: database.sslMode,
    PGAPPNAME: 'smart-trip-planner-cli',
  };
}

const INSTALL_HINT =
  "install the PostgreSQL client tools (Debian/Ubuntu: apt-get install postgresql-client) whose major version is at least the server's";

/** Runs a PostgreSQL client program; rejects with its stderr, or a clear message when it is not installed. */
export function runPgTool(
  program: 'pg_dump' | 'pg_restore',
  args: string[],
  database: Postgres,
  env: Env,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env: { ...env, ...libpqEnv(database) },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error(`${program} not found on PATH: ${INSTALL_HINT}`) : error),
    );
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${program} exited with code ${code}: ${stderr.trim()}`)),
    );
  });
}
