/**
 * A throwaway, migrated database for one bench run: a new PostgreSQL database next to
 * DATABASE_URL (created here, dropped by `drop`), or a PGlite data directory for --embedded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';

export interface FreshDatabase {
  kind: 'postgres' | 'pglite';
  /** The server's environment for this database (DATABASE_URL or DATA_DIR). */
  env: Record<string, string>;
  /** A plain connection URL (PostgreSQL only), for the `pg` floor server. */
  url: string | null;
  /** Opens it from this process (seeding, bulk inserts). PGlite allows one process at a time. */
  open(): Promise<Database>;
  drop(): Promise<void>;
}

async function admin(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export async function freshDatabase(options: {
  adminUrl: string | null;
  label: string;
}): Promise<FreshDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `stp-${options.label}-`));
  if (!options.adminUrl) {
    const pgdata = path.join(dataDir, 'pgdata');
    const database = await openDatabase({ kind: 'pglite', dataDir: pgdata });
    await migrate(database);
    await database.close();
    return {
      kind: 'pglite',
      env: { DATA_DIR: dataDir },
      url: null,
      open: () => openDatabase({ kind: 'pglite', dataDir: pgdata }),
      drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `stp_${options.label}_${Date.now()}_${process.pid}`;
  await admin(options.adminUrl, `create database ${name}`);
  const url = new URL(options.adminUrl);
  url.pathname = `/${name}`;
  const open = () => openDatabase({ kind: 'postgres', url: url.toString(), sslMode: 'disable', poolSize: 4 });
  const database = await open();
  await migrate(database);
  await database.close();
  return {
    kind: 'postgres',
    env: { DATABASE_URL: url.toString(), DB_SSLMODE: 'disable', DATA_DIR: dataDir },
    url: url.toString(),
    open,
    drop: async () => {
      await admin(options.adminUrl!, `drop database if exists ${name} with (force)`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
