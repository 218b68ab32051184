/**
 * Redis killed under load. Two app instances share PostgreSQL and a Redis of our own; REST load
 * runs on both while Redis is killed (SIGKILL, data gone) for 30 s (5 s with --fast) and started
 * again. Checks: no 5xx and no unanswered request at any time; RateLimit headers on every API
 * answer; counts shared by both instances with Redis, per instance without it (the fallback),
 * shared again after; chat fan-out from instance A to a socket on instance B before the outage
 * and again after Redis returns, with every message after the resumption delivered.
 */
import { startApp, productionEnv, type AppServer } from './lib/app-server.ts';
import { freshDatabase } from './lib/database.ts';
import { keepAliveAgent, request, type Reply } from './lib/http.ts';
import { Load, tally, type Op, type Outcome } from './lib/load.ts';
import { sleep, waitFor } from './lib/ports.ts';
import { startPrivateRedis } from './lib/private-redis.ts';
import { Checks, note, type Scenario } from './lib/scenario.ts';
import { connectChat, type ChatSocket } from './lib/socket.ts';
import { buildWorld, type World } from './lib/world.ts';

const LIMIT = 100_000; // per route, user and minute: high enough that the load is never refused
const agent = keepAliveAgent(16);

/** Hits one route `n` times as the probe user; returns the last RateLimit-Remaining. */
async function probeRemaining(server: AppServer, token: string, n: number): Promise<number | null> {
  let last: Reply | null = null;
  for (let i = 0; i < n; i++) last = await request(agent, server.base, 'GET', '/api/v1/users/me/', { token });
  const remaining = last?.headers['ratelimit-remaining'];
  return typeof remaining === 'string' ? Number(remaining) : null;
}

/** 3 hits on A then 3 on B: B's remaining tells whether it saw A's hits (shared) or not. */
async function limiterMode(a: AppServer, b: AppServer, token: string) {
  const afterA = await probeRemaining(a, token, 3);
  const afterB = await probeRemaining(b, token, 3);
  return {
    afterA,
    afterB,
    shared: afterB === LIMIT - 6,
    perInstance: afterA === LIMIT - 3 && afterB === LIMIT - 3,
  };
}

let sequence = 0;
/** Posts a uniquely worded message on A (REST); true if B's socket receives it within `ms`. */
async function crossInstance(a: AppServer, world: World, socket: ChatSocket, ms: number): Promise<boolean> {
  const content = `cross-${process.pid}-${++sequence}`;
  const reply = await request(agent, a.base, 'POST', `/api/v1/trips/${world.tripId}/messages/`, {
    token: world.members[1]!.token,
    body: { content },
  });
  if (reply.status !== 201) return false;
  return socket.waitForContent(content, ms);
}

function restOps(servers: AppServer[], world: World): () => Op {
  let n = 0;
  return () => {
    n += 1;
    const server = servers[n % servers.length]!;
    const member = world.members[1 + (n % (world.members.length - 2))]!; // not the owner, not the probe
    const day = world.dayIds[n % world.dayIds.length]!;
    const get = (kind: string, path: string): Op => ({
      kind,
      send: () => request(agent, server.base, 'GET', path, { token: member.token, timeoutMs: 10_000 }),
    });
    const post = (kind: string, path: string, body: unknown): Op => ({
      kind,
      send: () => request(agent, server.base, 'POST', path, { token: member.token, body, timeoutMs: 10_000 }),
    });
    switch (n % 6) {
      case 0:
        return get('trip list', '/api/v1/trips/');
      case 1:
        return get('trip detail', `/api/v1/trips/${world.tripId}/`);
      case 2:
        return get('days with items', `/api/v1/itineraries/?trip_id=${world.tripId}`);
      case 3:
        return post('create item', `/api/v1/itineraries/${day}/items/`, { title: `Load ${n}` });
      case 4:
        return post('chat post', `/api/v1/trips/${world.tripId}/messages/`, { content: `load ${n}` });
      default:
        return get('messages', `/api/v1/trips/${world.tripId}/messages/?limit=20`);
    }
  };
}

export const redisOutage: Scenario = {
  name: 'redis-outage',
  title: 'Redis killed under load (two instances)',
  async run({ fast, adminUrl }) {
    const checks = new Checks();
    const outageMs = fast ? 5_000 : 30_000;
    const database = await freshDatabase(adminUrl, 'redis');
    const redis = await startPrivateRedis();
    const env = productionEnv({
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: 'stp-faults:',
      RATE_LIMIT_DEFAULT: String(LIMIT),
      DB_POOL_SIZE: '5',
    });
    const a = await startApp('A', env);
    const b = await startApp('B', env);
    note(`instances A :${a.port} and B :${b.port}; outage ${outageMs / 1000} s`);
    const world = await buildWorld(agent, a.base, { users: 5, days: 3, items: 3 });
    const probe = world.members.at(-1)!.token;
    const onB = await connectChat(b.base, world.tripId, world.members[2]!.token);

    checks.expect(
      await crossInstance(a, world, onB, 3000),
      'before the outage: a message posted on A reaches a socket on B',
    );
    const before = await limiterMode(a, b, probe);
    checks.expect(before.shared, `before: rate counts shared (B remaining ${before.afterB} = ${LIMIT} - 6)`);

    let missingHeaders = 0;
    const load = new Load({
      rate: fast ? 40 : 60,
      next: restOps([a, b], world),
      onOutcome: (o: Outcome) => {
        if (o.reply && o.reply.status < 500 && o.reply.headers['ratelimit-limit'] === undefined)
          missingHeaders += 1;
      },
    }).start();
    await sleep(2000);

    await redis.kill();
    const downAt = load.now();
    note('redis-server killed (SIGKILL)');
    await sleep(500);
    const during = await limiterMode(a, b, probe);
    checks.expect(
      during.perInstance,
      `during: per-instance fallback (A remaining ${during.afterA}, B remaining ${during.afterB}, each ${LIMIT} - 3)`,
    );
    const duringDelivered = await crossInstance(a, world, onB, 1000);
    await sleep(Math.max(0, outageMs - (load.now() - downAt)));

    await redis.start();
    const upAt = load.now();
    note(`redis-server started again after ${((upAt - downAt) / 1000).toFixed(1)} s`);
    const healthy = async (s: AppServer) =>
      JSON.parse((await request(agent, s.base, 'GET', '/health/')).body).checks.redis === 'ok';
    const bothHealthy = await waitFor(async () => (await healthy(a)) && (await healthy(b)), 20_000, 200);
    checks.expect(
      bothHealthy,
      `both instances report Redis ok after ${((load.now() - upAt) / 1000).toFixed(1)} s`,
    );

    // Fan-out resumes once the subscriber connections are back (ioredis re-subscribes on its own).
    let resumed = false;
    while (!resumed && load.now() - upAt < 15_000) resumed = await crossInstance(a, world, onB, 500);
    const resumeMs = load.now() - upAt;
    checks.expect(
      resumed,
      `chat fan-out A → B resumed ${(resumeMs / 1000).toFixed(1)} s after Redis returned`,
    );
    let delivered = 0;
    const after = 10;
    for (let i = 0; i < after; i++) if (await crossInstance(a, world, onB, 3000)) delivered += 1;
    checks.expect(
      delivered === after,
      `after resumption: ${delivered}/${after} messages from A delivered on B`,
    );
    checks.expect(
      onB.closeCode() === null,
      `B's socket stayed open through the outage (close code ${onB.closeCode()})`,
    );
    const recovered = await limiterMode(a, b, probe);
    checks.expect(
      recovered.shared,
      `after: rate counts shared again (B remaining ${recovered.afterB} = ${LIMIT} - 6)`,
    );

    await sleep(2000);
    await load.stop();
    onB.close();
    const outcomes = load.outcomes;
    const inOutage = outcomes.filter((o) => o.start >= downAt && o.start < upAt);
    const serverErrors = outcomes.filter((o) => o.status !== null && o.status >= 500);
    const unanswered = outcomes.filter((o) => o.status === null);
    note(
      `during the outage a message on A reached B within 1 s: ${duringDelivered ? 'yes' : 'no (no pub/sub without Redis)'}`,
    );
    note(`all requests: ${tally(outcomes)}; during the outage: ${tally(inOutage)}; skipped ${load.skipped}`);
    checks.expect(inOutage.length > 0, `${inOutage.length} requests were sent while Redis was down`);
    checks.expect(serverErrors.length === 0, `5xx answers: ${serverErrors.length} of ${outcomes.length}`);
    checks.expect(unanswered.length === 0, `unanswered (reset, refused, hung): ${unanswered.length}`);
    checks.expect(missingHeaders === 0, `API answers without RateLimit headers: ${missingHeaders}`);
    checks.summary = `${outcomes.length} requests (${inOutage.length} during a ${(outageMs / 1000).toFixed(0)} s outage), 5xx ${serverErrors.length}, unanswered ${unanswered.length}, fan-out resumed in ${(resumeMs / 1000).toFixed(1)} s`;
    if (!checks.passed) console.log(`  A's last log lines:\n${a.tail(15)}\n  B's:\n${b.tail(15)}`);
    return checks;
  },
};
