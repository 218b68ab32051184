import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { command } from '../../bench/lib/processes.ts';
import { onCleanup } from './cleanup.ts';
import { freePort, waitFor } from './ports.ts';

const root = path.resolve(import.meta.dirname, '..', '..');

export interface AppServer {
  name: string;
  port: number;
  base: string;
  /** The process started (the cluster primary when WEB_CONCURRENCY > 1). */
  pid: number;
  /** The worker processes (empty without a cluster), read from /proc. */
  workerPids(): number[];
  /** Resolves with the exit code and signal once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last warnings and errors the server logged, and any plain-text output (shown on failure). */
  tail(lines?: number): string;
  /** Sends SIGTERM and waits for the exit; resolves with the time it took. */
  terminate(): Promise<{ code: number | null; ms: number }>;
  /** SIGKILL to the whole process group (primary and workers at once, as a crash or OOM kill). */
  crash(): Promise<void>;
}

/** Production settings for a fault run; a scenario adds DATABASE_URL, REDIS_URL and its own. */
export function productionEnv(extra: Record<string, string>): Record<string, string> {
  return {
    APP_ENV: 'production',
    // A fresh strong key per run: production refuses known or weak ones.
    SECRET_KEY: crypto.randomBytes(48).toString('base64url'),
    ALLOWED_HOSTS: '127.0.0.1,localhost',
    HOST: '127.0.0.1',
    MIGRATE_ON_START: 'true',
    DB_SSLMODE: 'disable',
    WEB_CONCURRENCY: '1',
    ...extra,
  };
}

/**
 * Starts `src/main.ts` (what `npm start` runs) as its own process group on a free port and waits
 * until every worker listens. The data directory (which also holds the server's log) is private
 * and removed at cleanup unless the caller passed its own, e.g. to restart on the same one.
 */
export async function startApp(
  name: string,
  env: Record<string, string>,
  options: {
    port?: number;
    dataDir?: string;
    /**
     * 'compiled': dist/main.js with `npm run start:prod`'s node options and environment (built
     * first when stale), as production runs, for runs that measure the process (the soak's RSS).
     * Default 'tsx': what `npm start` runs, no build needed.
     */
    runtime?: 'tsx' | 'compiled';
  } = {},
): Promise<AppServer> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'stp-faults-data-'));
  if (!options.dataDir)
    onCleanup(`data dir ${dataDir}`, () => fs.rmSync(dataDir, { recursive: true, force: true }));
  // Output goes to a file, not through this process: the load generator's CPU stays its own.
  const logPath = path.join(dataDir, `${name}.log`);
  const log = fs.openSync(logPath, 'a');
  const start = command('src/main.ts', options.runtime ?? 'tsx');
  const child: ChildProcess = spawn(process.execPath, start.args, {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      ...start.env,
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', log, log],
    detached: true,
  });
  fs.closeSync(log);
  const pid = child.pid!;
  const output = () => {
    try {
      return fs.readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const crash = async () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      return; // already gone
    }
    await exited;
  };
  onCleanup(`app ${name} (pid ${pid})`, crash);
  const base = `http://127.0.0.1:${port}`;
  const workers = Number(env.WEB_CONCURRENCY ?? '1');
  // Every worker must listen before load starts; the primary says so once (at info level).
  const ready = async () =>
    (await fetch(`${base}/health/live`)).status === 200 &&
    (workers <= 1 || output().includes('cluster: all workers listening'));
  const up = await Promise.race([waitFor(ready, 60_000, 200), exited.then(() => false)]);
  if (!up) {
    await crash();
    throw new Error(`${name} did not start:\n${output().slice(-5000)}`);
  }
  return {
    name,
    port,
    base,
    pid,
    workerPids: () => {
      try {
        return fs
          .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
          .trim()
          .split(/\s+/)
          .filter(Boolean)
          .map(Number);
      } catch {
        return [];
      }
    },
    exited,
    tail: (lines = 30) =>
      output()
        .trim()
        .split('\n')
        .filter((line) => !line.startsWith('{"level":"info"') && !line.startsWith('{"level":"debug"'))
        .slice(-lines)
        .join('\n'),
    terminate: async () => {
      const started = Date.now();
      child.kill('SIGTERM');
      const { code } = await exited;
      return { code, ms: Date.now() - started };
    },
    crash,
  };
}
