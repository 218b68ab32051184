import fs from 'node:fs';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
} from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import type { Config } from './config/index.ts';
import type { AppContext } from './context.ts';
import { openDatabase, type Database } from './db/index.ts';
import { identifyCaller, installAuthentication } from './http/authenticate.ts';
import { corsStep } from './http/cors.ts';
import { installEdge } from './http/edge.ts';
import { installJsonParser } from './http/body-parsers.ts';
import { hostCheck } from './http/host-check.ts';
import { installCompression } from './http/compression.ts';
import { buildSerializer } from './http/serializer.ts';
import { httpsStep } from './http/https.ts';
import { installMediaRoute } from './http/media-route.ts';
import { installObservability } from './http/observability.ts';
import { installSecurityHeaders } from './http/security-headers.ts';
import { installStaticFiles } from './http/static-files.ts';
import { ErrorEnvelope } from './http/envelope.ts';
import {
  clientErrorHandler,
  frameworkErrors,
  installErrorHandling,
  installNotFound,
} from './http/error-handler.ts';
import { installOpenApi } from './http/openapi.ts';
import { installRateLimit } from './http/rate-limit.ts';
import { echoRequestId, genRequestId, installRequestLogging } from './http/request-log.ts';
import { validatorCompiler } from './http/validation.ts';
import { createAccessTokens } from './modules/auth/access-tokens.ts';
import { apiIndexRoutes } from './modules/api-index/routes.ts';
import { authRoutes } from './modules/auth/routes.ts';
import { passwordRoutes } from './modules/passwords/routes.ts';
import { healthRoutes } from './modules/health/routes.ts';
import { userRoutes } from './modules/users/routes.ts';
import { User } from './modules/users/schemas.ts';
import { Collaborator, Trip } from './modules/trips/schemas.ts';
import { tripRoutes } from './modules/trips/routes.ts';
import { collaboratorRoutes } from './modules/collaborators/routes.ts';
import { invitationRoutes } from './modules/invitations/routes.ts';
import { itineraryRoutes } from './modules/itineraries/routes.ts';
import { pollRoutes } from './modules/polls/routes.ts';
import { chatRoutes } from './modules/chat/routes.ts';
import { installRealtime } from './realtime/index.ts';
import { syncRoutes } from './modules/sync/routes.ts';
import { createEmailSender } from './platform/email-outbox.ts';
import { createPlatform, type Platform } from './platform/index.ts';
import { createLogger, lazyChildLogger } from './platform/logger.ts';
import { createMediaStorage } from './platform/media-storage.ts';
import { createPasswordHasher } from './platform/password-hasher.ts';
import { VERSION } from './version.ts';

export interface BuildOptions {
  /** An open, migrated database to use (tests share one per process); otherwise opened from config. */
  database?: Database;
  /** Shared-state adapters to use instead of building them from config. */
  platform?: Platform;
  /** Where log lines go (tests capture them); stdout by default. */
  logStream?: DestinationStream;
  logger?: Logger;
  /** Run the background email sender in this process (default true); test apps pass false. */
  emailSender?: boolean;
}

/** Builds the whole HTTP application, ready to `listen` or `inject`. Nothing here reads process.env. */
export async function buildApp(
  config: Readonly<Config>,
  options: BuildOptions = {},
): Promise<FastifyInstance> {
  const logger = options.logger ?? createLogger(config.logLevel, options.logStream);
  const database = options.database ?? (await openDatabase(config.database));
  const platform = options.platform ?? createPlatform(config, logger);
  fs.mkdirSync(config.media.dir, { recursive: true });
  // Start without Redis rather than not at all: health reports it and the adapters fall back.
  await platform
    .ready()
    .catch((error: unknown) => logger.warn({ err: error }, 'Redis not reachable at start-up'));

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Our own onResponse hook writes the one line per request (see http/request-log.ts).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'req_id' }),
    // The root logger is pino (createLogger), which is what lazyChildLogger is typed for.
    childLoggerFactory: lazyChildLogger as unknown as FastifyServerOptions['childLoggerFactory'],
    genReqId: genRequestId,
    requestIdHeader: false,
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 200 },
    return503OnClosing: true,
    // Router errors (bad percent-encoding, over-long path parameters) in the envelope too.
    frameworkErrors,
    clientErrorHandler,
    forceCloseConnections: 'idle',
    schemaController: { compilersFactory: { buildSerializer } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const ctx: AppContext = {
    config,
    logger,
    database,
    db: database.db,
    platform,
    media: await createMediaStorage(config.media),
    passwords: createPasswordHasher(config.auth.argon2),
    accessTokens: createAccessTokens(config.secretKey, config.auth.accessTokenTtlSec),
    changeListeners: [],
    state: { shuttingDown: false },
  };
  app.decorate('ctx', ctx);
  const sends = options.emailSender !== false && config.email.outboxWorker;
  const emailSender = sends ? createEmailSender(ctx) : null;
  app.addHook('onReady', async () => emailSender?.start());
  app.setValidatorCompiler(validatorCompiler);
  // Shared schemas are registered once at the root so every module and the OpenAPI document see them.
  for (const schema of [ErrorEnvelope, User, Collaborator, Trip]) app.addSchema(schema);

  installErrorHandling(app);
  installNotFound(app);
  installJsonParser(app);
  installRequestLogging(app);
  // Every request's first steps, in this order (http/edge.ts): the request id and the security
  // headers first, so every answer carries them, refusals and redirects included; the Host check
  // before anything builds a URL from the Host header; CORS before authentication, so a preflight
  // (sent without credentials) is answered and a 401 still carries CORS headers (a browser app
  // must read it to refresh); the caller identified last, before the rate limiter keys on it.
  installEdge(app, [
    echoRequestId,
    installSecurityHeaders(app),
    hostCheck(config.allowedHosts),
    httpsStep(config),
    corsStep({
      origins: config.corsAllowedOrigins,
      exposedHeaders: [
        'ETag',
        'X-Request-Id',
        'RateLimit-Limit',
        'RateLimit-Remaining',
        'RateLimit-Reset',
        'Retry-After',
      ],
      // GET, HEAD and POST alone would refuse browsers every update and delete.
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'If-Match', 'Idempotency-Key', 'X-Request-Id'],
      maxAgeSec: 600,
    }),
    identifyCaller(ctx.accessTokens),
  ]);
  installAuthentication(app);
  await installObservability(app, ctx);
  installCompression(app, config.http.compress);
  await installStaticFiles(app, config.staticRoot); // before the limiter: static files are not limited
  await installRateLimit(app, config.rateLimit, platform.rateLimitStore);
  await app.register(multipart, { limits: { fileSize: config.media.maxAvatarBytes, files: 1 } });
  await installOpenApi(app, VERSION);
  installMediaRoute(app, ctx.media);

  await app.register(healthRoutes(VERSION));
  await installRealtime(app);
  await app.register(
    async (api) => {
      await api.register(apiIndexRoutes(VERSION));
      await api.register(authRoutes);
      await api.register(passwordRoutes);
      await api.register(userRoutes);
      await api.register(tripRoutes);
      await api.register(collaboratorRoutes);
      await api.register(invitationRoutes);
      await api.register(itineraryRoutes);
      await api.register(pollRoutes);
      await api.register(chatRoutes);
      await api.register(syncRoutes);
    },
    { prefix: '/api/v1' },
  );

  app.addHook('onClose', async () => {
    await emailSender?.stop();
    if (!options.platform) await platform.close();
    if (!options.database) await database.close();
    ctx.media.close?.();
  });
  return app;
}
