/**
 * `npm run bench`: the service in production mode (compiled dist/main.js started as `npm run
 * start:prod` does, WEB_CONCURRENCY workers; each worker's RSS idle and after load) on a fresh
 * PostgreSQL database and Redis, seeded with 50 users in ~10 trips each; every scenario at each
 * concurrency for a fixed time, chat fan-out to 20 sockets at 50 and 500 msg/s, the bare-Fastify
 * floors started the same way, and a verdict per target of issue 7.
 *   --seconds 5          per scenario and concurrency (chat: per rate)
 *   --workers <n>        WEB_CONCURRENCY (default: CPU count)
 *   --concurrency 1,32   connections per run
 *   --warmup 1           seconds of unmeasured load before each scenario
 *   --rounds 3           runs of each scenario at each concurrency; the run with the median
 *                        req/s is reported (every run's req/s is printed). The floors run in
 *                        the same rounds as the scenarios compared with them (bare / health,
 *                        one-query / trip detail, alternated), so both ratios compare runs
 *                        seconds apart: this machine's speed drifts by tens of percent over minutes.
 *   --only a,b           scenarios whose name contains one of these (development)
 *   --embedded           PGlite and in-process pub/sub, one process (reference figures)
 *   --tsx                run the service and the floors through tsx instead of compiled (dist/)
 *   BENCH_PROFILE_DIR=…  a CPU profile per service process (--cpu-prof)
 * DATABASE_URL (admin connection; default the local server) and REDIS_URL (default local).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/index.ts';
import { createAccessTokens } from '../src/modules/auth/access-tokens.ts';
import { createPasswordHasher } from '../src/platform/password-hasher.ts';
import { chatFanout, type FanoutResult } from './lib/chat-fanout.ts';
import { freshDatabase } from './lib/fresh-database.ts';
import { runLoad, type LoadResult, type NextRequest, type Target } from './lib/http-load.ts';
import { rssOfTree, runBench, type Server } from './lib/processes.ts';
import { printResults, printVerdicts, type Measured, type MeasuredRun } from './lib/report.ts';
import { scenarios } from './lib/scenarios.ts';
import { seed } from './lib/seed.ts';
import { ACCESS_TOKEN_TTL_SEC, newSecret, serviceEnv, startFloor, startService } from './lib/service.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    workers: { type: 'string', default: String(os.availableParallelism()) },
    concurrency: { type: 'string', default: '1,32' },
    warmup: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    embedded: { type: 'boolean', default: false },
    tsx: { type: 'boolean', default: false },
  },
});
const embedded = args.embedded;
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
const ROUNDS = Math.max(1, Number(args.rounds));
const WORKERS = embedded ? 1 : Number(args.workers);
const LEVELS = args.concurrency.split(',').map(Number);
const CHAT_RATES = [50, 500];
const CHAT_SOCKETS = 20;
const ONLY = args.only?.split(',');
const SHAPE = {
  users: 50,
  tripsPerUser: 10,
  days: 5,
  itemsPerDay: 5,
  polls: 2,
  messages: 100,
  chatMembers: 20,
};

interface Load {
  target: Target;
  next: () => NextRequest;
}

/** The run with the median req/s, carrying every run's req/s, and the errors of all of them. */
function median(runs: LoadResult[]): MeasuredRun {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  return {
    ...sorted[Math.floor((sorted.length - 1) / 2)]!,
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    firstError: runs.find((r) => r.firstError)?.firstError ?? null,
    rounds: runs.map((r) => r.rps),
  };
}

/**
 * Each load at each concurrency, ROUNDS times, the loads taking turns within a round (a, b, a,
 * b, …) after a warm-up of each; per load and concurrency, the median run.
 */
async function measure(...loads: Load[]): Promise<MeasuredRun[][]> {
  for (const load of loads)
    if (WARMUP > 0)
      await runLoad(load.target, { concurrency: Math.max(...LEVELS), seconds: WARMUP, next: load.next() });
  const results = loads.map(() => [] as MeasuredRun[]);
  for (const concurrency of LEVELS) {
    const runs = loads.map(() => [] as LoadResult[]);
    for (let round = 0; round < ROUNDS; round++)
      for (const [i, load] of loads.entries())
        runs[i]!.push(await runLoad(load.target, { concurrency, seconds: SECONDS, next: load.next() }));
    runs.forEach((list, i) => results[i]!.push(median(list)));
  }
  return results;
}

async function main(): Promise<void> {
  const adminUrl = embedded
    ? null
    : (process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
  const redisUrl = embedded ? null : (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stp-bench-run-'));
  const secret = newSecret();
  console.log(
    `bench: ${embedded ? 'EMBEDDED (PGlite, in-process pub/sub, 1 process)' : `PostgreSQL + Redis, ${WORKERS} worker(s)`}, ` +
      `${os.availableParallelism()} CPUs shared by ${embedded ? 'server' : 'server, database, Redis'} and load generator; ` +
      `${SECONDS} s per run, ${ROUNDS} rounds (+${WARMUP} s warm-up; chat: the same rounds, +${2 * WARMUP} s warm-up at each rate), ` +
      `concurrency ${LEVELS.join(' and ')}`,
  );
  console.log(
    'production mode (APP_ENV=production, LOG_LEVEL=info, compression on, clients send Accept-Encoding: gzip) ' +
      'EXCEPT: RATE_LIMIT_ENABLED=false, WS_MESSAGES_PER_10S=100000 (all load comes from 50 users)',
  );
  const database = await freshDatabase({ adminUrl, label: 'bench' });
  const servers: Server[] = [];
  try {
    const options = {
      database,
      redisUrl,
      workers: WORKERS,
      secret,
      workDir,
      profileDir: process.env.BENCH_PROFILE_DIR,
      runtime: args.tsx ? ('tsx' as const) : ('compiled' as const),
    };
    // The service's own config decides the password cost, so login measures what production pays.
    const config = loadConfig(serviceEnv(options));
    const started = performance.now();
    const open = await database.open();
    const seeded = await seed(
      open,
      SHAPE,
      await createPasswordHasher(config.auth.argon2).hash('Sturdy-Koala-Orbit-42'),
    );
    await open.close();
    console.log(
      `seeded ${seeded.users.length} users, ${seeded.trips.length + 1} trips, ${SHAPE.days} days × ${SHAPE.itemsPerDay} items, ` +
        `${SHAPE.polls} polls, ${SHAPE.messages} messages per trip in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const signer = createAccessTokens(secret, ACCESS_TOKEN_TTL_SEC);
    const tokens = await Promise.all(seeded.users.map((u) => signer.sign(u.id)));
    const tripId = seeded.trips[0]!.id;

    const measured: Measured = {
      runtime: options.runtime,
      scenarios: [],
      floors: {},
      chat: [],
      rss: [],
      rssIdle: [],
      floorRss: [],
      floorRssIdle: [],
      kinds: {},
    };
    // Workers only: the cluster primary serves no requests (it only migrates and supervises).
    const workerRss = (server: Server) => rssOfTree(server.pid).slice(WORKERS > 1 ? 1 : 0);
    const settle = () => new Promise((resolve) => setTimeout(resolve, 2000));
    const floor = await startFloor(options);
    servers.push(floor);
    await settle();
    measured.floorRssIdle = workerRss(floor);
    const floorTarget = { host: '127.0.0.1', port: floor.port };
    const bare: Load = { target: floorTarget, next: () => () => ({ method: 'GET', path: '/floor/json' }) };
    const query: Load = {
      target: floorTarget,
      next: () => () => ({ method: 'GET', path: `/floor/pk/${tripId}` }),
    };
    // Embedded, the floor and the service would open one PGlite directory: the floor runs first,
    // alone. Otherwise both run side by side (idle, a server costs nothing) and each floor takes
    // turns with the scenario it is compared with.
    const stopFloor = async () => {
      measured.floorRss = workerRss(floor);
      await floor.stop();
    };
    if (embedded) {
      [measured.floors.bare] = await measure(bare);
      [measured.floors.query] = await measure(query);
      await stopFloor();
    }
    const floorFor: Record<string, { load: Load; key: 'bare' | 'query' }> = embedded
      ? {}
      : { 'GET /health/': { load: bare, key: 'bare' }, 'trip detail': { load: query, key: 'query' } };

    const service = await startService(options);
    servers.push(service);
    await settle();
    measured.rssIdle = workerRss(service);
    const target = { host: '127.0.0.1', port: service.port };
    for (const scenario of scenarios(seeded, tokens)) {
      if (ONLY && !ONLY.some((o) => scenario.name.includes(o))) continue;
      measured.kinds[scenario.name] = scenario.kind;
      const paired = floorFor[scenario.name];
      const load = { target, next: scenario.next };
      if (paired) {
        const [floorRuns, runs] = await measure(paired.load, load);
        measured.floors[paired.key] = floorRuns;
        measured.scenarios.push({ name: scenario.name, results: runs! });
      } else {
        const [runs] = await measure(load);
        measured.scenarios.push({ name: scenario.name, results: runs! });
      }
    }
    if (!embedded) await stopFloor();
    if (!ONLY || ONLY.some((o) => 'chat'.includes(o))) {
      const chatTokens = seeded.chatTrip.members.slice(0, CHAT_SOCKETS).map((m) => tokens[m.user]!);
      for (const rate of CHAT_RATES) {
        // Warm-up at this rate, as the HTTP scenarios warm up at their highest concurrency: the
        // socket and live-delivery code has not run yet in this process, and a higher rate opens
        // more database connections (each preparing its statements once). Cold, the first
        // seconds measured p99 4-10x the warm figures.
        if (WARMUP > 0)
          await chatFanout(target, {
            tripId: seeded.chatTrip.id,
            tokens: chatTokens,
            rate,
            seconds: 2 * WARMUP,
          });
        // Rounds as for HTTP: the run with the median p99 is reported, every run's p99 listed;
        // a run that lost messages or errored is reported instead, whatever its p99.
        const runs: FanoutResult[] = [];
        for (let round = 0; round < ROUNDS; round++)
          runs.push(
            await chatFanout(target, {
              tripId: seeded.chatTrip.id,
              tokens: chatTokens,
              rate,
              seconds: SECONDS,
            }),
          );
        const sorted = [...runs].sort((a, b) => a.p99 - b.p99);
        const failed = runs.find((r) => r.lost > 0 || r.errors > 0 || r.achievedRate < r.rate * 0.98);
        measured.chat.push({
          ...(failed ?? sorted[Math.floor((sorted.length - 1) / 2)]!),
          roundsP99: runs.map((r) => r.p99),
        });
      }
    }
    measured.rss = workerRss(service);
    await service.stop();
    printResults(measured);
    printVerdicts(measured, { embedded, workers: WORKERS });
  } finally {
    for (const server of servers) await server.stop();
    await database.drop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

runBench(main);
