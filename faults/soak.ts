/**
 * Soak: N minutes of mixed traffic at a fixed rate against the production process (a cluster of
 * WEB_CONCURRENCY workers on PostgreSQL and Redis), to see what a short benchmark cannot: errors
 * that appear only after a while, latency that creeps up, memory that grows.
 *
 *   npm run soak                       10 minutes at 250 requests/s
 *   npm run soak -- --minutes 1 --rate 200 --workers 2
 *   npm run soak -- --measure          the mix's capacity (32 concurrent requests, 30 s)
 *
 * --rate default 250 req/s: about half the 519 req/s --measure reached on the 2-core development
 * machine with little else running (docs/faults.md); elsewhere, measure and pass half of it.
 *
 * Traffic (open loop: the rate holds whatever the latency): 4 trips of 5 members; 70 % reads
 * (trip list, trip detail, days with items, latest chat messages), 15 % item writes (a create,
 * or a delete of an earlier soak item once a day holds 10, so the data stays the same size),
 * 15 % chat posts, which 20 open trip sockets (5 per trip) receive.
 * Every 30 s: requests, errors, p50/p99 and the RSS of every server process (/proc/<pid>/status
 * VmRSS). At the end: totals and RSS drift (mean of the first minute against the last; with runs
 * under 3 minutes, the first third against the last). Exits 1 on any error, lost chat frame or
 * server process that died.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startApp, productionEnv, type AppServer } from './lib/app-server.ts';
import { cleanUpAll, cleanUpOnSignals } from './lib/cleanup.ts';
import { freshDatabase } from './lib/database.ts';
import { keepAliveAgent, request } from './lib/http.ts';
import { Load, percentile, type Op, type Outcome } from './lib/load.ts';
import { sleep } from './lib/ports.ts';
import { connectChat, type ChatSocket } from './lib/socket.ts';
import { buildWorld, type World } from './lib/world.ts';

const DEFAULT_RATE = 250;
const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: String(DEFAULT_RATE) },
    workers: { type: 'string', default: '2' },
    measure: { type: 'boolean', default: false },
  },
});
// --measure: the same mix as fast as 32 concurrent clients go, for 30 s: the capacity to halve.
const MEASURE = args.measure;
const MINUTES = MEASURE ? 0.5 : Number(args.minutes);
const RATE = MEASURE ? 100_000 : Number(args.rate);
const WORKERS = Number(args.workers);
const REPORT_EVERY_MS = 30_000;
const agent = keepAliveAgent(256);

interface TripLoad {
  world: World;
  sockets: ChatSocket[];
  /** Chat posts answered 201: each should reach every socket of the trip. */
  posted: number;
  /** Items this soak created per day, oldest first (deleted once a day holds 10). */
  items: Map<string, string[]>;
}

function traffic(base: string, trips: TripLoad[]): () => Op {
  let n = 0;
  return () => {
    n += 1;
    const trip = trips[n % trips.length]!;
    const { world } = trip;
    const { token } = world.members[Math.floor(n / trips.length) % world.members.length]!;
    const call = (method: string, path: string, body?: unknown) =>
      request(agent, base, method, path, { token, body, timeoutMs: 10_000 });
    const slot = n % 20;
    if (slot < 4) return { kind: 'trip list', send: () => call('GET', '/api/v1/trips/') };
    if (slot < 8) return { kind: 'trip detail', send: () => call('GET', `/api/v1/trips/${world.tripId}/`) };
    if (slot < 11)
      return {
        kind: 'days with items',
        send: () => call('GET', `/api/v1/itineraries/?trip_id=${world.tripId}`),
      };
    if (slot < 14)
      return {
        kind: 'messages',
        send: () => call('GET', `/api/v1/trips/${world.tripId}/messages/?limit=20`),
      };
    if (slot < 17) {
      const day = world.dayIds[n % world.dayIds.length]!;
      const mine = trip.items.get(day) ?? [];
      trip.items.set(day, mine);
      if (mine.length >= 10) {
        const id = mine.shift()!;
        return { kind: 'delete item', send: () => call('DELETE', `/api/v1/itinerary-items/${id}/`) };
      }
      return {
        kind: 'create item',
        send: async () => {
          const reply = await call('POST', `/api/v1/itineraries/${day}/items/`, { title: `Soak ${n}` });
          if (reply.status === 201) mine.push(JSON.parse(reply.body).id);
          return reply;
        },
      };
    }
    return {
      kind: 'chat post',
      send: async () => {
        const reply = await call('POST', `/api/v1/trips/${world.tripId}/messages/`, { content: `soak ${n}` });
        if (reply.status === 201) trip.posted += 1;
        return reply;
      },
    };
  };
}

function rssKb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

const mb = (kb: number) => (kb / 1024).toFixed(1);

// autovacuum_naptime's default: how often autovacuum looks at each database.
const VACUUM_EVERY_MS = 60_000;

/**
 * A production PostgreSQL runs autovacuum; a server with it off (this project's CI machine has
 * autovacuum = off) lets the soak's churn pile up: a 10-minute soak left 205,000 dead rows in
 * itinerary_items (126 live) and no statistics, and every read of items slowed as they grew (p50
 * 1.9 → 5.2 ms). With autovacuum off, the soak does its job, a `vacuum (analyze)` of its database
 * once a minute, and says so; with it on, nothing. `stop()` gives the number of runs (null: none
 * were needed).
 */
async function autovacuumStandIn(url: string): Promise<{ stop: () => Promise<number | null> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ autovacuum: string }>('show autovacuum');
  if (rows[0]?.autovacuum !== 'off') {
    await client.end();
    return { stop: async () => null };
  }
  console.log(
    `  # this server's autovacuum is off: the soak runs vacuum (analyze) every ${VACUUM_EVERY_MS / 1000} s in its place`,
  );
  let runs = 0;
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running
      .then(() => client.query('vacuum (analyze)'))
      .then(
        () => (runs += 1),
        (error: Error) => console.log(`  # vacuum (analyze) failed: ${error.message}`),
      );
  }, VACUUM_EVERY_MS);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
      await client.end();
      return runs;
    },
  };
}

async function main(): Promise<number> {
  const adminUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  console.log(
    `soak: ${MINUTES} min at ${MEASURE ? 'full speed, 32 concurrent requests' : `${RATE} req/s`}, ${WORKERS} workers, PostgreSQL ${new URL(adminUrl).host}, Redis ${new URL(redisUrl).host}`,
  );
  const database = await freshDatabase(adminUrl, 'soak');
  const vacuum = await autovacuumStandIn(database.url);
  const app: AppServer = await startApp(
    'soak',
    productionEnv({
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `stp-soak-${process.pid}-${Date.now()}:`,
      WEB_CONCURRENCY: String(WORKERS),
      // Limits stay on (their Redis counting is part of the cost) but high enough never to refuse.
      RATE_LIMIT_DEFAULT: '1000000',
      RATE_LIMIT_AUTH: '1000',
      // Tokens must outlive the run (24 h at most).
      ACCESS_TOKEN_LIFETIME: String(Math.min(24 * 3600, Math.ceil(MINUTES * 60) + 600)),
      DB_POOL_SIZE: '10',
    }),
    // As production runs it (compiled, start:prod's heap and allocator settings): the RSS printed
    // is the production process's. Under tsx a worker measured 180-220 MB against that.
    { runtime: 'compiled' },
  );
  const trips: TripLoad[] = [];
  for (let t = 0; t < 4; t++) {
    const world = await buildWorld(agent, app.base, { users: 5, days: 5, items: 5 });
    const sockets = await Promise.all(world.members.map((m) => connectChat(app.base, world.tripId, m.token)));
    trips.push({ world, sockets, posted: 0, items: new Map() });
  }
  const pids = () => [
    { role: 'primary', pid: app.pid },
    ...app.workerPids().map((pid, i) => ({ role: `worker ${i + 1}`, pid })),
  ];
  const startPids = pids()
    .map((p) => p.pid)
    .join(',');
  console.log(
    `server processes: ${pids()
      .map((p) => `${p.role} ${p.pid}`)
      .join(', ')}`,
  );

  let interval: Outcome[] = [];
  const latencies: number[] = [];
  const timed: { start: number; ms: number }[] = [];
  let total = 0;
  let errors = 0;
  const errorKinds = new Map<string, number>();
  const load = new Load({
    rate: RATE,
    maxInFlight: MEASURE ? 32 : 256,
    next: traffic(app.base, trips),
    keep: false,
    onOutcome: (o) => {
      total += 1;
      interval.push(o);
      latencies.push(o.end - o.start);
      timed.push({ start: o.start, ms: o.end - o.start });
      if (o.status === null || o.status >= 300) {
        errors += 1;
        const key = `${o.kind} ${o.status ?? o.error}`;
        errorKinds.set(key, (errorKinds.get(key) ?? 0) + 1);
      }
    },
  });
  const samples: { t: number; role: string; kb: number }[] = [];
  const sample = () => {
    for (const { role, pid } of pids()) {
      const kb = rssKb(pid);
      if (kb !== null) samples.push({ t: load.now(), role, kb });
    }
  };
  const durationMs = MINUTES * 60_000;
  load.start();
  const sampler = setInterval(sample, 5000);
  sample();
  console.log('\n   time  requests   req/s  errors  p50 ms  p99 ms  RSS MB');
  let lastReport = 0;
  while (load.now() < durationMs) {
    await sleep(Math.min(REPORT_EVERY_MS, durationMs - load.now()));
    const now = load.now();
    const window = interval;
    interval = [];
    const times = window.map((o) => o.end - o.start);
    const windowErrors = window.filter((o) => o.status === null || o.status >= 300).length;
    const rss = pids()
      .map(({ role, pid }) => `${role} ${mb(rssKb(pid) ?? 0)}`)
      .join(', ');
    console.log(
      `${(now / 1000).toFixed(0).padStart(5)} s ${String(window.length).padStart(9)} ${((window.length * 1000) / (now - lastReport)).toFixed(0).padStart(7)} ${String(windowErrors).padStart(7)} ${percentile(times, 50).toFixed(1).padStart(7)} ${percentile(times, 99).toFixed(1).padStart(7)}  ${rss}`,
    );
    lastReport = now;
  }
  clearInterval(sampler);
  await load.stop();
  const vacuums = await vacuum.stop();
  await sleep(3000); // the last chat frames arrive
  const expectedFrames = trips.reduce((sum, t) => sum + t.posted * t.sockets.length, 0);
  // Each socket counts the soak's posts it received (the set-up posted none).
  const deliveredFrames = trips.reduce(
    (sum, t) =>
      sum +
      t.sockets.reduce(
        (s, socket) => s + [...socket.received.values()].filter((c) => c.startsWith('soak ')).length,
        0,
      ),
    0,
  );
  for (const trip of trips) for (const socket of trip.sockets) socket.close();

  const endPids = pids()
    .map((p) => p.pid)
    .join(',');
  const window = Math.min(60_000, durationMs / 3);
  const achieved = total / (durationMs / 1000);
  console.log(
    `\n${total} requests in ${(load.now() / 1000).toFixed(0)} s (${achieved.toFixed(0)} req/s` +
      (MEASURE ? ')' : `; skipped by the client: ${load.skipped})`),
  );
  if (MEASURE)
    console.log(
      `capacity of this mix: ${achieved.toFixed(0)} req/s; half: --rate ${Math.round(achieved / 2)}`,
    );
  console.log(
    `errors ${errors}${errorKinds.size ? ` (${[...errorKinds].map(([k, v]) => `${k}×${v}`).join(', ')})` : ''}; p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${latencies.reduce((a, b) => Math.max(a, b), 0).toFixed(0)} ms`,
  );
  console.log(`chat frames delivered to the 20 sockets: ${deliveredFrames}/${expectedFrames}`);
  if (vacuums !== null) console.log(`vacuum (analyze) runs standing in for autovacuum: ${vacuums}`);
  const inWindow = (from: number, to: number) =>
    timed.filter((o) => o.start >= from && o.start < to).map((o) => o.ms);
  const early = inWindow(0, window);
  const late = inWindow(durationMs - window, durationMs);
  console.log(
    `latency drift (the first ${(window / 1000).toFixed(0)} s → the last): p50 ${percentile(early, 50).toFixed(1)} → ${percentile(late, 50).toFixed(1)} ms, p99 ${percentile(early, 99).toFixed(1)} → ${percentile(late, 99).toFixed(1)} ms`,
  );
  console.log(
    `RSS drift (mean of the first ${(window / 1000).toFixed(0)} s → the last ${(window / 1000).toFixed(0)} s):`,
  );
  for (const role of [...new Set(samples.map((s) => s.role))]) {
    const mine = samples.filter((s) => s.role === role);
    const mean = (list: typeof mine) => list.reduce((sum, s) => sum + s.kb, 0) / Math.max(1, list.length);
    const first = mean(mine.filter((s) => s.t <= window));
    const last = mean(mine.filter((s) => s.t >= durationMs - window));
    console.log(
      `  ${role.padEnd(9)} ${mb(first)} MB → ${mb(last)} MB (${last >= first ? '+' : ''}${mb(last - first)} MB, ${(((last - first) / first) * 100).toFixed(1)} %)`,
    );
  }
  const restarted = startPids !== endPids;
  if (restarted) console.log(`server processes changed during the run: ${startPids} → ${endPids}`);
  const ok = errors === 0 && deliveredFrames === expectedFrames && !restarted;
  console.log(ok ? 'soak passed' : 'soak FAILED');
  return ok ? 0 : 1;
}

cleanUpOnSignals();
const code = await main().catch((error: unknown) => {
  console.error(error);
  return 1;
});
await cleanUpAll();
process.exit(code);
