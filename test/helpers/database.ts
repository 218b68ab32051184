import fs from 'node:fs';
import { after } from 'node:test';
import { migrate, openDatabase, type Database } from '../../src/db/index.ts';
import { services, testConfig } from './env.ts';

let shared: Promise<Database> | null = null;
const queryListeners = new Set<(sql: string) => void>();
const closers: (() => Promise<void>)[] = [];

/**
 * One database per test process, opened on first use: the PGlite template loaded into memory, or
 * the run's PostgreSQL database. Tests never share rows (factories make fresh users), so nothing
 * is truncated between tests.
 */
export function testDatabase(): Promise<Database> {
  shared ??= (async () => {
    const config = testConfig();
    const onQuery = (sql: string) => {
      for (const listener of queryListeners) listener(sql);
    };
    if (config.database.kind === 'postgres') return openDatabase(config.database, { onQuery });
    const template = services.pgliteTemplate
      ? new Blob([fs.readFileSync(services.pgliteTemplate)])
      : undefined;
    const database = await openDatabase(
      { kind: 'pglite', dataDir: null },
      { onQuery, pgliteTemplate: template },
    );
    // Run directly with `node --test` (no template): migrate this process's own database.
    if (!template) await migrate(database);
    return database;
  })();
  return shared;
}

/** Counts the SQL statements the query builder sends while `fn` runs. */
export async function countQueries<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; count: number; statements: string[] }> {
  const statements: string[] = [];
  const listener = (sql: string) => statements.push(sql);
  queryListeners.add(listener);
  try {
    const result = await fn();
    return { result, count: statements.length, statements };
  } finally {
    queryListeners.delete(listener);
  }
}

/** Registers something to close when this test file is done (apps, sockets, servers). */
export function closeAtEnd(fn: () => Promise<void>): void {
  closers.push(fn);
}

// Registered at import time, so it attaches to the file's root: it runs once, after every test.
after(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  if (shared) await (await shared).close();
});
