/**
 * PostgreSQL stopped and started under load, on a private cluster this run owns (the machine's
 * shared server is never touched). `pg_ctl stop -m fast` terminates every session; the server
 * stays down 10 s (3 s with --fast), then starts. Checks: while it is away every answer is a 503
 * in the error envelope (no other 5xx, nothing unanswered or hung); the service answers 200
 * within 5 s of PostgreSQL accepting connections again, without a restart of the service; and
 * every request sent after that first 200 succeeds (no broken pooled connection lingers).
 */
import { startApp, productionEnv } from './lib/app-server.ts';
import { keepAliveAgent, request } from './lib/http.ts';
import { Load, tally, type Op, type Outcome } from './lib/load.ts';
import { sleep } from './lib/ports.ts';
import { startPrivatePostgres } from './lib/private-postgres.ts';
import { Checks, note, type Scenario } from './lib/scenario.ts';
import { buildWorld, type World } from './lib/world.ts';

const agent = keepAliveAgent(32);
const HANG_MS = 10_000;
const RECOVERY_LIMIT_MS = 5_000;

function ops(base: string, world: World): () => Op {
  let n = 0;
  return () => {
    n += 1;
    const { token } = world.members[n % world.members.length]!;
    const day = world.dayIds[n % world.dayIds.length]!;
    const paths = [
      ['trip list', 'GET', '/api/v1/trips/'],
      ['trip detail', 'GET', `/api/v1/trips/${world.tripId}/`],
      ['days with items', 'GET', `/api/v1/itineraries/?trip_id=${world.tripId}`],
      ['create item', 'POST', `/api/v1/itineraries/${day}/items/`],
    ] as const;
    const [kind, method, path] = paths[n % paths.length]!;
    return {
      kind,
      send: () =>
        request(agent, base, method, path, {
          token,
          body: method === 'POST' ? { title: `Load ${n}` } : undefined,
          timeoutMs: HANG_MS,
        }),
    };
  };
}

/** A 503 in the API's error envelope (`{"error": {"code": 503, "type": …}}`) with Retry-After. */
function clean503(outcome: Outcome): boolean {
  if (outcome.status !== 503 || !outcome.reply || !outcome.reply.headers['retry-after']) return false;
  try {
    const { error } = JSON.parse(outcome.reply.body);
    return (
      error?.code === 503 && error.type === 'service_unavailable' && typeof error.request_id === 'string'
    );
  } catch {
    return false;
  }
}

export const postgresRestart: Scenario = {
  name: 'postgres-restart',
  title: 'PostgreSQL stopped and started under load (private cluster)',
  async run({ fast }) {
    const checks = new Checks();
    const downMs = fast ? 3_000 : 10_000;
    const postgres = await startPrivatePostgres();
    const app = await startApp(
      'app',
      productionEnv({ DATABASE_URL: postgres.url, DB_POOL_SIZE: '10', RATE_LIMIT_DEFAULT: '100000' }),
    );
    const world = await buildWorld(agent, app.base, { users: 3, days: 3, items: 5 });
    const load = new Load({ rate: fast ? 60 : 80, next: ops(app.base, world) }).start();
    await sleep(2000);

    const stopAt = load.now();
    await postgres.stop();
    note(
      `PostgreSQL stopped (pg_ctl stop -m fast, ${(load.now() - stopAt).toFixed(0)} ms); down for ${downMs / 1000} s`,
    );
    await sleep(downMs);
    await postgres.start();
    const readyAt = load.now();
    note(
      `PostgreSQL accepting connections again (pg_ctl start -w) after ${((readyAt - stopAt) / 1000).toFixed(1)} s`,
    );

    // The service's own recovery: the first 200 on a read that needs the database.
    let recoveredAt: number | null = null;
    while (recoveredAt === null && load.now() - readyAt < 15_000) {
      const reply = await request(agent, app.base, 'GET', `/api/v1/trips/${world.tripId}/`, {
        token: world.members[0]!.token,
        timeoutMs: HANG_MS,
      }).catch(() => null);
      if (reply?.status === 200) recoveredAt = load.now();
      else await sleep(50);
    }
    await sleep(3000);
    await load.stop();

    const outcomes = load.outcomes;
    const recoveryMs = recoveredAt === null ? null : recoveredAt - readyAt;
    const outage = outcomes.filter((o) => o.end >= stopAt && o.start < (recoveredAt ?? Infinity));
    const after = recoveredAt === null ? [] : outcomes.filter((o) => o.start >= recoveredAt!);
    const fiveHundreds = outcomes.filter((o) => o.status !== null && o.status >= 500);
    const unclean = fiveHundreds.filter((o) => !clean503(o));
    const unanswered = outcomes.filter((o) => o.status === null);
    const slowest = outcomes.reduce((worst, o) => Math.max(worst, o.end - o.start), 0);
    note(`during the outage: ${tally(outage)}; after recovery: ${tally(after)}; skipped ${load.skipped}`);
    checks.expect(outage.some(clean503), `the outage was seen: ${outage.filter(clean503).length} clean 503s`);
    checks.expect(
      unclean.length === 0,
      `5xx other than a 503 in the envelope: ${unclean.length} (${tally(unclean)})`,
    );
    checks.expect(
      unanswered.length === 0,
      `unanswered or hung (> ${HANG_MS / 1000} s): ${unanswered.length} (${tally(unanswered)})`,
    );
    note(`slowest answer ${slowest.toFixed(0)} ms`);
    checks.expect(
      recoveryMs !== null && recoveryMs <= RECOVERY_LIMIT_MS,
      `first 200 ${recoveryMs === null ? 'never (15 s)' : `${recoveryMs.toFixed(0)} ms`} after PostgreSQL was back (limit ${RECOVERY_LIMIT_MS} ms), same process`,
    );
    const failedAfter = after.filter((o) => o.status === null || o.status >= 300);
    checks.expect(
      after.length > 0 && failedAfter.length === 0,
      `after recovery: ${after.length - failedAfter.length}/${after.length} succeeded`,
    );
    checks.summary = `${outcomes.length} requests, ${outage.filter(clean503).length} clean 503s, other 5xx ${unclean.length}, unanswered ${unanswered.length}, recovered in ${recoveryMs === null ? 'never' : `${(recoveryMs / 1000).toFixed(2)} s`}`;
    if (!checks.passed) console.log(`  app's last log lines:\n${app.tail(10)}`);
    return checks;
  },
};
