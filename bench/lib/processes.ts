/**
 * Child server processes for the benches: started through a real entry point, their output sent
 * to a file (so a request log line costs the server a write, not the bench a parse), ready when a
 * line matching `ready` appears there, stopped with SIGTERM (SIGKILL if that hangs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
const running = new Set<ChildProcess>();

export interface Server {
  pid: number;
  port: number;
  logFile: string;
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the cluster's workers need one fixed port, not 0). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export async function startServer(options: {
  script: string;
  env: Record<string, string>;
  port: number;
  logFile: string;
  ready: RegExp;
  /** BENCH_PROFILE_DIR=<dir>: a CPU profile per process (cluster workers inherit execArgv). */
  profileDir?: string;
}): Promise<Server> {
  const out = fs.openSync(options.logFile, 'w');
  const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', options.script], {
    cwd: ROOT,
    env: { ...process.env, ...options.env, PORT: String(options.port) },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  running.add(child);
  child.once('exit', () => running.delete(child));
  const deadline = Date.now() + 90_000;
  while (!options.ready.test(fs.readFileSync(options.logFile, 'utf8'))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const tail = fs.readFileSync(options.logFile, 'utf8').slice(-2000);
      child.kill('SIGKILL');
      throw new Error(`${options.script} did not start (exit ${child.exitCode}):\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    pid: child.pid!,
    port: options.port,
    logFile: options.logFile,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Last resort when the bench fails: no server outlives it. */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}

/**
 * Resident memory (MB) of a node process and its direct node children (the cluster's workers), by
 * pid; tsx's esbuild helper process is not ours to count.
 */
export function rssOfTree(pid: number): { pid: number; mb: number }[] {
  const rss = (p: number) => {
    const status = fs.readFileSync(`/proc/${p}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
  };
  const children = fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        // Field 4 of /proc/<pid>/stat is the parent pid (after the parenthesised command name).
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
        const isNode = fs.readFileSync(`/proc/${name}/comm`, 'utf8').trim() === 'node';
        return isNode && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false; // exited while we looked
      }
    })
    .map(Number);
  return [pid, ...children].map((p) => ({ pid: p, mb: rss(p) }));
}
