/**
 * SIGTERM under load. The production process (a cluster primary with two workers, as
 * WEB_CONCURRENCY makes it on this machine) gets SIGTERM while requests are in flight, slow ones
 * among them: logins (password hashing) and creates whose body is still arriving. Checks: every
 * request sent before the signal gets an HTTP answer (dropped = 0), the open WebSocket is closed
 * with 1001 (going away), and the process exits 0 within SHUTDOWN_TIMEOUT.
 */
import { startApp, productionEnv } from './lib/app-server.ts';
import { freshDatabase } from './lib/database.ts';
import { keepAliveAgent, request } from './lib/http.ts';
import { Load, tally, type Op } from './lib/load.ts';
import { sleep } from './lib/ports.ts';
import { Checks, note, type Scenario } from './lib/scenario.ts';
import { connectChat } from './lib/socket.ts';
import { buildWorld, PASSWORD, type World } from './lib/world.ts';

// Enough connections that no request waits in the client for one: each is on the wire when sent.
const agent = keepAliveAgent(256);
const SHUTDOWN_TIMEOUT_S = 10;
const SLOW_BODY_MS = 1500;

function ops(base: string, world: World): () => Op {
  let n = 0;
  return () => {
    n += 1;
    const member = world.members[n % world.members.length]!;
    const day = world.dayIds[n % world.dayIds.length]!;
    const send = (method: string, path: string, body?: unknown, trickleMs?: number) => () =>
      request(agent, base, method, path, { token: member.token, body, trickleMs, timeoutMs: 20_000 });
    switch (n % 8) {
      case 0:
        return {
          kind: 'login',
          send: send('POST', '/api/v1/auth/login/', { email: member.email, password: PASSWORD }),
        };
      case 1:
        return {
          kind: 'slow create',
          send: send('POST', `/api/v1/itineraries/${day}/items/`, { title: `Slow ${n}` }, SLOW_BODY_MS),
        };
      case 2:
      case 3:
        return {
          kind: 'create item',
          send: send('POST', `/api/v1/itineraries/${day}/items/`, { title: `Load ${n}` }),
        };
      case 4:
        return { kind: 'trip list', send: send('GET', '/api/v1/trips/') };
      case 5:
        return { kind: 'trip detail', send: send('GET', `/api/v1/trips/${world.tripId}/`) };
      default:
        return { kind: 'days with items', send: send('GET', `/api/v1/itineraries/?trip_id=${world.tripId}`) };
    }
  };
}

export const sigtermDrain: Scenario = {
  name: 'sigterm-drain',
  title: 'SIGTERM under load (cluster of two workers)',
  async run({ fast, adminUrl, redisUrl }) {
    const checks = new Checks();
    const database = await freshDatabase(adminUrl, 'sigterm');
    const app = await startApp(
      'app',
      productionEnv({
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: `stp-faults-${process.pid}-${Date.now()}:`,
        WEB_CONCURRENCY: '2',
        SHUTDOWN_TIMEOUT: String(SHUTDOWN_TIMEOUT_S),
        RATE_LIMIT_DEFAULT: '100000',
        RATE_LIMIT_AUTH: '100000',
        DB_POOL_SIZE: '5',
      }),
    );
    const world = await buildWorld(agent, app.base, { users: 4, days: 3, items: 5 });
    const socket = await connectChat(app.base, world.tripId, world.members[1]!.token);
    const next = ops(app.base, world);
    const load = new Load({ rate: fast ? 60 : 100, next }).start();
    await sleep(fast ? 2000 : 5000);
    // Slow requests certain to be in flight at the signal: bodies still arriving, passwords hashing.
    for (let i = 0; i < 4; i++) {
      const member = world.members[i]!;
      void load.launch({
        kind: 'slow create',
        send: () =>
          request(agent, app.base, 'POST', `/api/v1/itineraries/${world.dayIds[0]}/items/`, {
            token: member.token,
            body: { title: `Slow at signal ${i}` },
            trickleMs: SLOW_BODY_MS,
            timeoutMs: 20_000,
          }),
      });
      void load.launch({
        kind: 'login',
        send: () =>
          request(agent, app.base, 'POST', '/api/v1/auth/login/', {
            body: { email: member.email, password: PASSWORD },
            timeoutMs: 20_000,
          }),
      });
    }
    await sleep(100);
    // Then the schedule stops and a burst of quick requests goes out on the keep-alive connections;
    // 30 ms later, when the server has them all, comes the signal. Every one of them is in flight
    // by then or already answered.
    const stopped = load.stop();
    for (let i = 0; i < 20; i++) void load.launch(next());
    await sleep(30);

    const signalAt = load.now();
    const exit = app.terminate();
    // Not counted above: requests sent after the signal meet a closing server (refused, 503 or
    // reset by design); shown for information.
    await sleep(50);
    const late = await Promise.all(
      Array.from({ length: 10 }, () =>
        next()
          .send()
          .then(
            (reply) => String(reply.status),
            (error: { code?: string }) => error.code ?? 'error',
          ),
      ),
    );
    const [{ code, ms }] = await Promise.all([exit, stopped]);

    // Counted: every request whose bytes were on a connected socket before the signal. One the
    // client had not got onto the wire by then (a busy client) met a closing server: not counted.
    const outcomes = load.outcomes.filter((o) => o.sent !== null && o.sent < signalAt);
    const notOut = load.outcomes.filter((o) => !outcomes.includes(o));
    const inFlight = outcomes.filter((o) => o.end > signalAt);
    const answered = outcomes.filter((o) => o.status !== null);
    const dropped = outcomes.filter((o) => o.status === null);
    const slowInFlight = inFlight.filter((o) => o.kind === 'slow create' || o.kind === 'login');
    note(`all: ${tally(outcomes)}; in flight at the signal: ${tally(inFlight)}`);
    note(
      `in flight at the signal by kind: ${[...new Set(inFlight.map((o) => o.kind))].map((k) => `${k} ${inFlight.filter((o) => o.kind === k).length}`).join(', ')}`,
    );
    checks.expect(
      inFlight.length > 0 && slowInFlight.length >= 4,
      `${inFlight.length} requests in flight at SIGTERM, ${slowInFlight.length} of them slow (login, body still arriving)`,
    );
    const gaps = dropped.map((o) => `${(signalAt - o.sent!).toFixed(0)}`).join(', ');
    checks.expect(
      dropped.length === 0,
      `sent ${outcomes.length}, answered ${answered.length}, dropped ${dropped.length}` +
        (dropped.length ? ` (${tally(dropped)}; on the wire ${gaps} ms before the signal)` : ''),
    );
    // A 503 would mean the server treated a request it already had as a new one.
    const serverErrors = outcomes.filter((o) => o.status !== null && o.status >= 500);
    checks.expect(serverErrors.length === 0, `answered with 5xx: ${serverErrors.length}`);
    note(
      `not counted: ${notOut.length} not yet on the wire at the signal (${tally(notOut)}); ` +
        `sent 50 ms after it: ${late.sort().join(' ')}`,
    );
    checks.expect(
      socket.closeCode() === 1001,
      `the open WebSocket was closed with ${socket.closeCode()} (1001 expected)`,
    );
    checks.expect(code === 0, `process exit code ${code}`);
    checks.expect(
      ms < SHUTDOWN_TIMEOUT_S * 1000,
      `exited ${ms} ms after SIGTERM (SHUTDOWN_TIMEOUT ${SHUTDOWN_TIMEOUT_S} s)`,
    );
    checks.summary = `sent ${outcomes.length}, answered ${answered.length}, dropped ${dropped.length}; ${inFlight.length} in flight at SIGTERM; exit ${code} after ${(ms / 1000).toFixed(1)} s`;
    if (!checks.passed) console.log(`  app's last log lines:\n${app.tail(10)}`);
    return checks;
  },
};
