/**
 * Child server processes for the benches: started through a real entry point, their output sent
 * to a file (so a request log line costs the server a write, not the bench a parse), ready when a
 * line matching `ready` appears there, stopped with SIGTERM (SIGKILL if that hangs).
 *
 * They run as production runs the service: compiled JavaScript with the environment and node
 * options of `npm run start:prod` (the Dockerfile's ENV and CMD), not TypeScript through tsx, whose
 * loader thread and start-up transpiling cost every worker memory production does not pay. A
 * script under src/ runs from dist/ (`npm run build` first when dist/ is missing or older than its
 * sources); any other script (bench/floor-server.ts) is transpiled on its own into .cache/bench/.
 * Runtime 'tsx' (`npm run bench -- --tsx`) starts them as before the build step, for comparison:
 * `node --import tsx <script>`, without start:prod's environment and options.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import ts from 'typescript';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
const running = new Set<ChildProcess>();

/** How a server process runs its code: compiled as in production, or TypeScript through tsx. */
export type Runtime = 'compiled' | 'tsx';

/**
 * How production starts: `npm run start:prod` is `[NAME=value ...] node [options ...] dist/main.js`;
 * the Dockerfile's ENV and CMD repeat it (test/deploy-files.test.ts checks).
 */
export function productionStart(): { env: Record<string, string>; nodeOptions: string[] } {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const words = (pkg.scripts['start:prod'] ?? '').trim().split(/\s+/);
  const node = words.indexOf('node');
  const assignments = words.slice(0, Math.max(node, 0)).map((word) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(word));
  if (node < 0 || words.at(-1) !== 'dist/main.js' || assignments.some((a) => a === null))
    throw new Error('package.json: start:prod is not `[NAME=value ...] node [options ...] dist/main.js`');
  return {
    env: Object.fromEntries(assignments.map((a) => [a![1]!, a![2]!])),
    nodeOptions: words.slice(node + 1, -1),
  };
}

/** The newest modification time (ms) of a file or of any file below a folder. */
function newestMtime(file: string): number {
  const stat = fs.statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs
    .readdirSync(file)
    .reduce((newest, name) => Math.max(newest, newestMtime(path.join(file, name))), stat.mtimeMs);
}

/** Runs `npm run build` unless dist/ is newer than every input of the build. */
export function ensureBuilt(): void {
  const built = path.join(ROOT, 'dist', 'main.js');
  const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];
  const newest = Math.max(...inputs.map((input) => newestMtime(path.join(ROOT, input))));
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= newest) return;
  console.log('dist/ is missing or older than its sources: npm run build');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

/**
 * A bench-only script (no relative imports) transpiled to .cache/bench/<name>.js; node resolves
 * its packages from there up to the project's node_modules.
 */
function transpiled(script: string): string {
  const source = fs.readFileSync(path.join(ROOT, script), 'utf8');
  if (/from '\.\.?\//.test(source)) throw new Error(`${script} imports relative modules: run it from dist/`);
  const { outputText } = ts.transpileModule(source, {
    fileName: script,
    compilerOptions: {
      target: ts.ScriptTarget.ES2023,
      module: ts.ModuleKind.ESNext,
      verbatimModuleSyntax: true,
    },
  });
  const out = path.join('.cache', 'bench', `${path.basename(script, '.ts')}.js`);
  fs.mkdirSync(path.join(ROOT, path.dirname(out)), { recursive: true });
  fs.writeFileSync(path.join(ROOT, out), outputText);
  return out;
}

/** The node arguments and extra environment that run `script` (a .ts path from the root). */
export function command(script: string, runtime: Runtime): { args: string[]; env: Record<string, string> } {
  if (runtime === 'tsx') return { args: ['--import', 'tsx', script], env: {} };
  const production = productionStart();
  if (!script.startsWith('src/'))
    return { args: [...production.nodeOptions, transpiled(script)], env: production.env };
  ensureBuilt();
  const compiled = `dist/${script.slice('src/'.length).replace(/\.ts$/, '.js')}`;
  return { args: [...production.nodeOptions, compiled], env: production.env };
}

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
  runtime: Runtime;
  /** BENCH_PROFILE_DIR=<dir>: a CPU profile per process (cluster workers inherit execArgv). */
  profileDir?: string;
}): Promise<Server> {
  const out = fs.openSync(options.logFile, 'w');
  const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const { args, env } = command(options.script, options.runtime);
  const child = spawn(process.execPath, [...profile, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, ...options.env, PORT: String(options.port) },
    stdio: ['ignore', out, out],
    // A session of its own, as a service started by an init system or a container runtime has.
    // In the bench's session it would share one scheduler group (Linux autogroup) with the load
    // generator, and the two workers' CPU shares came out uneven: measured at concurrency 32,
    // one worker's connections answered 2.2 times as many requests as the other's, and the trip
    // list's p99 was 55-100 ms against 25-27 ms with the generator outside the group.
    detached: true,
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
  for (const child of running) {
    try {
      process.kill(-child.pid!, 'SIGKILL'); // its group: the cluster's workers too
    } catch {
      child.kill('SIGKILL');
    }
  }
}

/** Runs a bench's main: exit 0 when it finishes, else print the error, kill its servers, exit 1. */
export function runBench(main: () => Promise<void>): void {
  // The servers are in sessions of their own (see startServer): Ctrl-C does not reach them.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      killAll();
      process.exit(1);
    },
  );
}

/**
 * Resident memory (MB) of a node process and its direct node children (the cluster's workers), by
 * pid; tsx's esbuild helper process is not ours to count. `sharedMb`: the part of it that other
 * processes map too (mostly the node binary's code, ~40 MB, resident once for all of them).
 */
export function rssOfTree(pid: number): { pid: number; mb: number; sharedMb: number }[] {
  const rss = (p: number) => {
    const status = fs.readFileSync(`/proc/${p}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
  };
  const shared = (p: number) => {
    const rollup = fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? NaN);
    return (kb('Shared_Clean') + kb('Shared_Dirty')) / 1024;
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
  return [pid, ...children].map((p) => ({ pid: p, mb: rss(p), sharedMb: shared(p) }));
}
