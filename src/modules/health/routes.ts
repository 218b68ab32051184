import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
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
    let last: { at: number; checks: Checks } | null = null;
    let running: Promise<Checks> | null = null;
    const currentChecks = (): Promise<Checks> => {
      if (last && Date.now() - last.at < CHECK_INTERVAL_MS) return Promise.resolve(last.checks);
      running ??= runChecks(ctx)
        .then((checks) => {
          last = { at: Date.now(), checks };
          return checks;
        })
        .finally(() => (running = null));
      return running;
    };
    // /health/ (monitoring, the checklist) fails on any dependency. Readiness asks only "can this
    // instance serve?": without Redis it still can (rate limits per instance, live events from the
    // log), and taking every instance out of the load balancer would turn a Redis outage into a
    // full one. It fails while shutting down, so traffic drains to other instances.
    const full = async (readiness: boolean) => {
      const checks = await currentChecks();
      const healthy =
        checks.database === 'ok' &&
        checks.migrations === 'ok' &&
        (readiness ? !ctx.state.shuttingDown : checks.redis !== 'unavailable');
      return {
        healthy,
        body: { status: healthy ? 'healthy' : 'unhealthy', service: 'smart-trip-planner', version, checks },
      } as const;
    };

    app.get(
      '/health/',
      {
        config: { rateLimit: false },
        schema: { tags, summary: 'Database and Redis health', response: { 200: Health, 503: Health } },
      },
      async (_request, reply) => {
        const { healthy, body } = await full(false);
        return reply
          .code(healthy ? 200 : 503)
          .header('cache-control', 'no-store')
          .send(body);
      },
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
      async (_request, reply) => {
        const { healthy, body } = await full(true);
        return reply
          .code(healthy ? 200 : 503)
          .header('cache-control', 'no-store')
          .send(body);
      },
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
