import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { onCleanup } from './cleanup.ts';
import { freePort } from './ports.ts';

const run = promisify(execFile);

/** PG_BIN, else the newest /usr/lib/postgresql/<version>/bin that has initdb. */
function binDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(a) - Number(b))
    : [];
  if (versions.length === 0) throw new Error('no PostgreSQL server binaries (set PG_BIN to their folder)');
  return path.join(root, versions.at(-1)!, 'bin');
}

export interface PrivatePostgres {
  port: number;
  /** Admin URL (user postgres, database postgres, trust authentication). */
  url: string;
  /** `pg_ctl stop -m fast`: sessions are terminated, new connections refused. */
  stop(): Promise<void>;
  /** `pg_ctl start -w`: resolves once the server accepts connections. */
  start(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster (initdb into a temp dir, a free port, its own socket dir) that
 * this run may stop and start at will, unlike the machine's shared server. PostgreSQL refuses to
 * run as root, so as root every command runs as user postgres (`runuser`).
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const asRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stp-faults-pg-'));
  onCleanup(`temp dir ${dir}`, () => fs.rmSync(dir, { recursive: true, force: true }));
  if (asRoot) await run('chown', ['postgres:postgres', dir]);
  const pgCommand = (tool: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args], { cwd: dir })
      : run(path.join(bin, tool), args);
  const data = path.join(dir, 'data');
  await pgCommand('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '-A',
    'trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c max_connections=50`;
  const start = async () => {
    await pgCommand('pg_ctl', [
      '-D',
      data,
      '-l',
      path.join(dir, 'log'),
      '-o',
      options,
      '-w',
      '-t',
      '30',
      'start',
    ]);
  };
  const stop = async () => {
    await pgCommand('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
  };
  await start();
  onCleanup(`private PostgreSQL :${port}`, async () => {
    await pgCommand('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
  });
  console.log(`  # private PostgreSQL cluster in ${dir}, port ${port}`);
  return { port, url: `postgresql://postgres@127.0.0.1:${port}/postgres`, stop, start };
}
