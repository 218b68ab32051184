import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import type { CliEnv } from '../config/cli.ts';
import { loadConfig, type Config } from '../config/index.ts';
import { openDatabase, type Database } from '../db/index.ts';
import { pendingMigrations } from '../db/migrate.ts';
import { pgliteInUse } from './backup.ts';
import { describeFingerprints, fingerprintTables } from './fingerprint.ts';
import { libpqEnv, runPgTool } from './pg-tools.ts';

export const summary =
  'restore <file> [--clean]: load a backup into an empty database (--clean sets the current data aside first)';

/** What a backup file holds, from its first bytes: pg_dump's custom format or a gzipped tarball. */
export function backupKind(file: string): 'postgres' | 'pglite' | 'unknown' {
  const head = Buffer.alloc(5);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 5, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (head.toString('latin1') === 'PGDMP') return 'postgres';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'pglite';
  return 'unknown';
}

async function tableCount(database: Database): Promise<number> {
  const { rows } = await database.withSession((exec) =>
    exec(
      `select count(*)::int as n from pg_tables where schemaname not in ('pg_catalog', 'information_schema')`,
    ),
  );
  return Number(rows[0]?.n ?? 0);
}

/** A timestamp usable in names: 20261126T060231Z */
const stamp = () => new Date().toISOString().replace(/[-:]|\.\d+/g, '');

/**
 * pg_restore into the configured database. A non-empty target is refused, or with --clean its
 * public schema is renamed aside first (pg_restore --clean would only drop what the dump holds,
 * leaving tables a newer release added). A failed restore puts the old schema back.
 * Returns the aside schema's name, if any.
 */
async function restorePostgres(
  config: Config,
  file: string,
  clean: boolean,
  env: CliEnv['env'],
): Promise<string | null> {
  if (config.database.kind !== 'postgres') return null;
  const database = await openDatabase(config.database);
  let aside: string | null = null;
  try {
    const existing = await tableCount(database);
    if (existing > 0 && !clean) {
      throw new Error(
        `the target database already has ${existing} table(s): restore into an empty database, or pass --clean to replace them`,
      );
    }
    if (existing > 0) {
      aside = `public_before_restore_${stamp()}`.toLowerCase();
      await database.withSession(async (exec) => {
        await exec('begin');
        await exec(`alter schema public rename to ${aside}`);
        await exec('create schema public');
        await exec('commit');
      });
    }
    // One transaction: a failed restore leaves the (empty) target untouched, never half-loaded.
    // pg_restore ignores PGDATABASE for its target: name it (host, user, password still come from PG*).
    const args = ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction'];
    args.push(`--dbname=${libpqEnv(config.database).PGDATABASE}`);
    try {
      await runPgTool('pg_restore', [...args, file], config.database, env);
    } catch (error) {
      if (aside) {
        const previous = aside;
        await database.withSession(async (exec) => {
          await exec('begin');
          await exec('drop schema public cascade');
          await exec(`alter schema ${previous} rename to public`);
          await exec('commit');
        });
      }
      throw error;
    }
    return aside;
  } finally {
    await database.close();
  }
}

async function restorePglite(dataDir: string, file: string, clean: boolean): Promise<string | null> {
  let movedAside: string | null = null;
  if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
    if (pgliteInUse(dataDir))
      throw new Error(`the embedded database in ${dataDir} is in use: stop the server first`);
    if (!clean)
      throw new Error(
        `${dataDir} is not empty: restore into an empty DATA_DIR, or pass --clean to replace it`,
      );
    // Kept, not deleted: the operator removes it once the restored data is confirmed.
    movedAside = `${dataDir}.before-restore-${stamp()}`;
    fs.renameSync(dataDir, movedAside);
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const blob = new Blob([fs.readFileSync(file)]);
  // PGlite unpacks the tarball into the (empty) directory on first start.
  const client = new PGlite(dataDir, { loadDataDir: blob });
  await client.waitReady;
  await client.close();
  return movedAside;
}

/** Loads a `backup` file into the configured (empty) database; returns a summary of what is there now. */
export async function restore(
  env: CliEnv['env'],
  file: string,
  options: { clean?: boolean } = {},
): Promise<string> {
  const config = loadConfig(env);
  const source = path.resolve(file);
  if (!fs.existsSync(source)) throw new Error(`${source} does not exist`);
  const kind = backupKind(source);
  if (kind !== config.database.kind) {
    throw new Error(
      kind === 'unknown'
        ? `${source} is not a backup made by \`backup\``
        : `${source} is a ${kind} backup but the configured database is ${config.database.kind}`,
    );
  }
  let note = '';
  if (config.database.kind === 'postgres') {
    const aside = await restorePostgres(config, source, !!options.clean, env);
    if (aside)
      note = `; the previous data is kept in schema ${aside} (drop schema ${aside} cascade, once checked)`;
  } else {
    const aside = await restorePglite(config.database.dataDir!, source, !!options.clean);
    if (aside) note = `; the previous data directory was moved to ${aside}`;
  }
  const database = await openDatabase(config.database);
  try {
    const prints = await database.withSession(fingerprintTables);
    const pending = await pendingMigrations(database);
    const migrations =
      pending.length === 0
        ? 'all migrations applied'
        : `${pending.length} migration(s) pending: run \`migrate\``;
    return `restored ${source}: ${describeFingerprints(prints)}; ${migrations}${note}`;
  } finally {
    await database.close();
  }
}

/** `restore <file>` */
export async function run(argv: string[], { env }: CliEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { clean: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) {
    console.error('usage: smart-trip-planner restore <file> [--clean]');
    return 2;
  }
  console.log(await restore(env, positionals[0]!, { clean: values.clean }));
  return 0;
}
