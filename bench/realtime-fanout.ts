/**
 * Fan-out latency of the trip socket (not a test): the time from a client sending `chat_message`
 * to each member's socket receiving it, over real server processes.
 *   1. 20 clients in one trip, one instance, 50 messages/s.
 *   2. 1,000 clients in one trip spread over 3 instances (needs DATABASE_URL and REDIS_URL).
 * With DATABASE_URL a fresh database is created and dropped; without it scenario 1 runs on PGlite.
 * Usage: npm run bench:realtime [-- --seconds 10 --rate 50 --clients 1000 --big-rate 50]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pg from 'pg';
import WebSocket from 'ws';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '50' },
    clients: { type: 'string', default: '1000' },
    'big-rate': { type: 'string' },
  },
});
const SECONDS = Number(args.seconds);
const RATE = Number(args.rate);
const BIG = Number(args.clients);
const BIG_RATE = Number(args['big-rate'] ?? args.rate);
const root = path.resolve(import.meta.dirname, '..');
const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
const PASSWORD = 'Sturdy-Koala-Orbit-42';
const children: ChildProcess[] = [];

async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> } | null> {
  if (!databaseUrl) return null;
  const name = `stp_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

async function startInstance(env: Record<string, string>): Promise<string> {
  // BENCH_PROFILE_DIR=<dir> writes a CPU profile per server process (open it in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'bench/realtime-server.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return `127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
}

async function api(host: string, method: string, url: string, token: string | null, body?: unknown) {
  const response = await fetch(`http://${host}/api/v1${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status >= 300)
    throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as any;
}

/** A trip with `users` members (the first one owns it); returns their tokens. */
async function setUpTrip(host: string, users: number): Promise<{ tripId: string; tokens: string[] }> {
  const tokens: string[] = [];
  const ids: string[] = [];
  const stamp = Date.now().toString(36);
  for (let i = 0; i < users; i++) {
    const email = `bench-${stamp}-${i}@example.test`;
    const body = await api(host, 'POST', '/auth/register/', null, {
      email,
      password: PASSWORD,
      password_confirm: PASSWORD,
    });
    tokens.push(body.tokens.access);
    ids.push(body.user.id);
  }
  const trip = await api(host, 'POST', '/trips/', tokens[0]!, { title: 'Bench trip' });
  for (const id of ids.slice(1))
    await api(host, 'POST', `/trips/${trip.id}/collaborators/${id}/`, tokens[0]!, { role: 'editor' });
  return { tripId: trip.id, tokens };
}

interface Result {
  name: string;
  clients: number;
  instances: number;
  rate: number;
  sent: number;
  latencies: number[];
  expected: number;
}

/** Connects `count` clients round-robin over `hosts`, sends RATE messages/s for SECONDS, measures. */
async function scenario(
  name: string,
  hosts: string[],
  count: number,
  users: number,
  rate: number,
): Promise<Result> {
  const { tripId, tokens } = await setUpTrip(hosts[0]!, users);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const sockets: WebSocket[] = [];
  const marker = /"client_id":"(b-\d+)"/;
  for (let i = 0; i < count; i++) {
    const ws = new WebSocket(
      `ws://${hosts[i % hosts.length]}/ws/chat/${tripId}/?token=${tokens[i % tokens.length]}`,
    );
    ws.on('message', (data) => {
      // Only the id is read: parsing every frame would measure this process, not the server.
      const text = String(data);
      if (!text.startsWith('{"type":"chat_message"')) return;
      const id = marker.exec(text)?.[1];
      const start = id ? sentAt.get(id) : undefined;
      if (start !== undefined) latencies.push(performance.now() - start);
    });
    await once(ws, 'open');
    sockets.push(ws);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000)); // presence and join traffic settle
  const total = Math.round(rate * SECONDS);
  const senders = sockets.slice(0, Math.min(10, sockets.length));
  const started = performance.now();
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const id = `b-${n}`;
    sentAt.set(id, performance.now());
    senders[n % senders.length]!.send(
      JSON.stringify({ type: 'chat_message', content: `bench ${n}`, client_id: id }),
    );
  }
  const expected = total * count;
  const deadline = performance.now() + 15_000;
  while (latencies.length < expected && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  for (const ws of sockets) ws.close();
  return { name, clients: count, instances: hosts.length, rate, sent: total, latencies, expected };
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

function report(results: Result[]): void {
  const cpus = os.availableParallelism();
  console.log(
    `\nfan-out latency over ${SECONDS} s (${cpus} CPUs; servers, PostgreSQL, Redis and clients on one machine)`,
  );
  console.log(
    'scenario                               clients  instances  msg/s  sent      delivered   p50 ms  p99 ms  max ms',
  );
  for (const r of results) {
    const sorted = [...r.latencies].sort((a, b) => a - b);
    const cells = [
      r.name.padEnd(38),
      String(r.clients).padStart(7),
      String(r.instances).padStart(10),
      String(r.rate).padStart(6),
      String(r.sent).padStart(5),
      `${r.latencies.length}/${r.expected}`.padStart(14),
      pct(sorted, 50).toFixed(1).padStart(7),
      pct(sorted, 99).toFixed(1).padStart(7),
      (sorted.at(-1) ?? NaN).toFixed(1).padStart(7),
    ];
    console.log(cells.join(' '));
  }
}

async function main(): Promise<void> {
  const database = await freshDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stp-bench-'));
  const env: Record<string, string> = {
    APP_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    MIGRATE_ON_START: 'true',
    RATE_LIMIT_ENABLED: 'false',
    WS_MESSAGES_PER_10S: '100000',
    WS_MAX_SOCKETS_PER_USER: '10000',
    WS_MAX_BUFFERED_BYTES: String(64 * 1024 * 1024),
    REDIS_KEY_PREFIX: `stp-bench:${process.pid}:`,
    ...(database ? { DATABASE_URL: database.url, DB_SSLMODE: 'disable' } : {}),
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
  };
  const results: Result[] = [];
  try {
    const first = await startInstance(env);
    results.push(await scenario('20 clients, one trip', [first], 20, 20, RATE));
    if (database && redisUrl) {
      const hosts = [first, await startInstance(env), await startInstance(env)];
      results.push(await scenario(`${BIG} clients, one trip, 3 instances`, hosts, BIG, 50, BIG_RATE));
    } else {
      console.log('(set DATABASE_URL and REDIS_URL for the 3-instance scenario)');
    }
    report(results);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode === null ? once(child, 'exit') : null)));
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    for (const child of children) child.kill('SIGKILL');
    process.exit(1);
  },
);
