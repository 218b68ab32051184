import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CliEnv } from '../config/cli.ts';
import { loadConfig } from '../config/index.ts';
import { openDatabase } from '../db/index.ts';
import { describeFingerprints, fingerprintTables } from './fingerprint.ts';
import { runPgTool } from './pg-tools.ts';

export const summary =
  'backup <file> [--force]: a consistent dump of the database (pg_dump custom format, or the PGlite data directory)';

/** An embedded database that is open in another process has postmaster.pid in its directory. */
export function pgliteInUse(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, 'postmaster.pid'));
}

const formatBytes = (n: number) =>
  n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;

/**
 * Writes a consistent backup to `file` (atomically: a temporary file renamed into place).
 * PostgreSQL: pg_dump --format=custom (one snapshot; restore with pg_restore or `restore`).
 * PGlite: the data directory as a gzipped tarball, taken with the database open here alone.
 */
export async function backup(
  env: CliEnv['env'],
  file: string,
  options: { force?: boolean; staleLock?: boolean } = {},
): Promise<string> {
  const config = loadConfig(env);
  const target = path.resolve(file);
  if (fs.existsSync(target) && !options.force)
    throw new Error(`${target} exists (pass --force to overwrite it)`);
  const temp = `${target}.${process.pid}.partial`;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  try {
    let what: string;
    if (config.database.kind === 'postgres') {
      await runPgTool(
        'pg_dump',
        ['--format=custom', '--no-owner', '--no-privileges', '--compress=6', `--file=${temp}`],
        config.database,
        env,
      );
      what = 'PostgreSQL dump (pg_dump custom format)';
    } else {
      const dataDir = config.database.dataDir!;
      if (!fs.existsSync(path.join(dataDir, 'PG_VERSION')))
        throw new Error(`no embedded database in ${dataDir}`);
      if (pgliteInUse(dataDir) && !options.staleLock) {
        throw new Error(
          `the embedded database in ${dataDir} is in use (postmaster.pid): stop the server first ` +
            '(after a crash, with no server running, pass --stale-lock)',
        );
      }
      fs.rmSync(path.join(dataDir, 'postmaster.pid'), { force: true });
      const database = await openDatabase(config.database);
      try {
        const prints = await database.withSession(fingerprintTables);
        const dump = await database.dumpDataDir!();
        fs.writeFileSync(temp, Buffer.from(await dump.arrayBuffer()));
        what = `PGlite data directory (${describeFingerprints(prints)})`;
      } finally {
        await database.close();
      }
    }
    fs.renameSync(temp, target);
    return `backup written to ${target}: ${what}, ${formatBytes(fs.statSync(target).size)}`;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/** `backup <file>` */
export async function run(argv: string[], { env }: CliEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      force: { type: 'boolean', default: false },
      'stale-lock': { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) {
    console.error('usage: smart-trip-planner backup <file> [--force] [--stale-lock]');
    return 2;
  }
  console.log(await backup(env, positionals[0]!, { force: values.force, staleLock: values['stale-lock'] }));
  return 0;
}
