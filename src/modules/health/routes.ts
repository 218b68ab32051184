import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { AppContext } from '../../context.ts';
import { pendingMigrations } from '../../db/migrate.ts';

const Check = Type.Union([Type.Literal('ok'), Type.Literal('unavailable'), Type.Literal('not_configured')]);
const Health = Type.Object({
  status: Type.Union([Type.Literal('healthy'), Type.Literal('unhealthy')]),
  service: Type.String(),
  version: Type.String(),
  checks: Type.Object({
    database: Check,
    redis: Check,
    migrations: Type.Union([Type.Literal('ok'), Type.Literal('pending'), Type.Literal('unavailable')], {
      description: 'pending: this build expects migrations the database lacks (run `npm run migrate`)',
    }),
  }),
});

type CheckResult = 'ok' | 'unavailable' | 'not_configured';
type Checks = Awaited<ReturnType<typeof runChecks>>;
type Answer = { code: 200 | 503; json: string };

// Load balancers, orchestrators and uptime monitors poll health, often many per second: the probes
// run at most once per this interval per process, and concurrent requests share the one in flight.
// A dependency that fails is reported at most this late.
const CHECK_INTERVAL_MS = 1000;

/** Probes each dependency; failures are named, never explained (no error text leaves the server). */
async function runChecks(
  ctx: AppContext,
): Promise<{ database: CheckResult; redis: CheckResult; migrations: 'ok' | 'pending' | 'unavailable' }> {
  const [database, redis, migrations] = await Promise.all([
    ctx.database.ping(2000).then(
      () => 'ok' as const,
      (error: unknown) => {
        ctx.logger.warn({ err: error }, 'health: database check failed');
        return 'unavailable' as const;
      },
    ),
    ctx.platform.pingRedis
      ? ctx.platform.pingRedis(1000).then(
          () => 'ok' as const,
          (error: unknown) => {
            ctx.logger.warn({ err: error }, 'health: redis check failed');
            return 'unavailable' as const;
          },
        )
      : Promise.resolve('not_configured' as const),
    // A database without this build's tables answers SELECT 1 but fails every request.
    pendingMigrations(ctx.database).then(
      (pending) => (pending.length === 0 ? ('ok' as const) : ('pending' as const)),
      () => 'unavailable' as const,
    ),
  ]);
  return { database, redis, migrations };
}

/** /health/ for load balancers and the checklist, /health/live and /health/ready for orchestrators. */
export const healthRoutes =
  (version: string): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { ctx } = app;
    const tags = ['service'];
    // The last result with the two answers it makes, serialized once (probes come far more often
    // than the checks run).
    let last: { at: number; checks: Checks; full: Answer; ready: Answer } | null = null;
    let running: Promise<Checks> | null = null;
    const answer = (checks: Checks, readiness: boolean): Answer => {
      const healthy =
        checks.database === 'ok' &&
        checks.migrations === 'ok' &&
        (readiness ? !ctx.state.shuttingDown : checks.redis !== 'unavailable');
      const body: Static<typeof Health> = {
        status: healthy ? 'healthy' : 'unhealthy',
        service: 'smart-trip-planner',
        version,
        checks,
      };
      return { code: healthy ? 200 : 503, json: JSON.stringify(body) };
    };
    const fresh = () => (last && Date.now() - last.at < CHECK_INTERVAL_MS ? last : null);
    const refresh = (): Promise<Checks> =>
      (running ??= runChecks(ctx)
        .then((checks) => {
          last = { at: Date.now(), checks, full: answer(checks, false), ready: answer(checks, true) };
          return checks;
        })
        .finally(() => (running = null)));
    const send = (reply: FastifyReply, { code, json }: Answer): void => {
      void reply
        .code(code)
        .header('cache-control', 'no-store')
        .type('application/json; charset=utf-8')
        .send(json);
    };
    // /health/ (monitoring, the checklist) fails on any dependency. Readiness asks only "can this
    // instance serve?": without Redis it still can (rate limits per instance, live events from the
    // log), and taking every instance out of the load balancer would turn a Redis outage into a
    // full one. It fails while shutting down, so traffic drains to other instances (worked out per
    // request: that state changes between checks).
    // Not async: an answer from the last checks goes out without a promise or a microtask turn.
    const respond = (reply: FastifyReply, readiness: boolean): void | Promise<void> => {
      const known = fresh();
      if (known && !readiness) return send(reply, known.full);
      if (known && !ctx.state.shuttingDown) return send(reply, known.ready);
      if (known) return send(reply, answer(known.checks, true));
      return refresh().then((checks) => send(reply, answer(checks, readiness)));
    };

    app.get(
      '/health/',
      {
        config: { rateLimit: false },
        schema: { tags, summary: 'Database and Redis health', response: { 200: Health, 503: Health } },
      },
      (_request, reply) => respond(reply, false),
    );
    app.get(
      '/health/ready',
      {
        config: { rateLimit: false },
        schema: {
          tags,
          summary: 'Ready for traffic: database and migrations ok, not shutting down (Redis not required)',
          response: { 200: Health, 503: Health },
        },
      },
      (_request, reply) => respond(reply, true),
    );
    app.get(
      '/health/live',
      {
        config: { rateLimit: false },
        schema: {
          tags,
          summary: 'The process is alive',
          response: { 200: Type.Object({ status: Type.Literal('alive') }) },
        },
      },
      async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'alive' as const }),
    );
  };
