import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { exposition, metrics, watchPool } from '../platform/metrics.ts';
import { createErrorReporter } from '../platform/sentry.ts';
import { VERSION } from '../version.ts';
import { AppError, notFound } from './errors.ts';

/** Who may read /metrics: 'open', 'token' (Bearer METRICS_TOKEN) or 'hidden' (404). */
export function metricsAccess(config: AppContext['config']): 'open' | 'token' | 'hidden' {
  if (config.metrics.token) return 'token';
  // Production without a token would publish internals to anyone: hidden unless asked for.
  if (config.env === 'production' && !config.metrics.public) return 'hidden';
  return 'open';
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function checkToken(request: FastifyRequest, token: string): void {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (!match) {
    throw new AppError(
      401,
      'not_authenticated',
      'Metrics require a bearer token.',
      {},
      {
        'www-authenticate': 'Bearer realm="metrics"',
      },
    );
  }
  if (!sameSecret(match[1]!, token)) {
    throw new AppError(403, 'permission_denied', 'This token may not read metrics.');
  }
}

/** The status an error will be answered with (the rules of http/error-handler.ts). */
function statusOf(error: unknown): number {
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

/**
 * Request duration histograms, the DB pool gauges, GET /metrics, and Sentry reports of 5xx errors.
 * Call before the routes are registered (the hooks apply to routes added after them).
 */
export async function installObservability(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { config } = ctx;
  const poolMax = config.database.kind === 'postgres' ? config.database.poolSize : 1;
  const unwatch = watchPool(ctx.database, poolMax);
  app.addHook('onClose', async () => unwatch());

  // One series per method, route pattern (never the URL: not one per trip id) and status, kept
  // here by a cheap key: finding a series by its label set sorts and serializes it.
  const series = new Map<string, { observe(seconds: number): void }>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeFacts?.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let child = series.get(key);
    if (!child) {
      child = metrics.httpDuration.series({
        method: request.method,
        route,
        status_code: String(reply.statusCode),
      });
      series.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    done();
  });

  if (config.sentry.dsn) {
    const reporter = await createErrorReporter(
      { dsn: config.sentry.dsn, environment: config.env, release: VERSION },
      ctx.logger,
    );
    app.addHook('onError', async (request, _reply, error) => {
      const status = statusOf(error);
      if (status < 500) return;
      reporter.capture(error, {
        requestId: String(request.id),
        method: request.method,
        route: request.routeFacts?.url ?? null,
        userId: request.user?.id ?? null,
        status,
      });
    });
    app.addHook('onClose', async () => reporter.flush(2000));
  }

  const access = metricsAccess(config);
  app.get('/metrics', { schema: { hide: true }, config: { rateLimit: false } }, async (request, reply) => {
    if (access === 'hidden') throw notFound();
    if (access === 'token') checkToken(request, config.metrics.token!);
    const { contentType, body } = await exposition();
    return reply.header('cache-control', 'no-store').type(contentType).send(body);
  });
}
