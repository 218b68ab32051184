import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { redactUrl } from '../platform/logger.ts';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts the caller's X-Request-Id when it is a safe token (so ids join up across services), else makes one. */
export function genRequestId(request: { headers: Record<string, string | string[] | undefined> }): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** Echoes the request id and writes exactly one log line per request, with secrets kept out. */
export function installRequestLogging(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request: FastifyRequest, reply) => {
    const status = reply.statusCode;
    const line = {
      method: request.method,
      url: redactUrl(request.url),
      route: request.routeOptions.url ?? null,
      status,
      duration_ms: Math.round(reply.elapsedTime * 100) / 100,
      user_id: request.user?.id ?? null,
      ip: request.ip,
    };
    if (status >= 500) request.log.error(line, 'request');
    // Orchestrators and load balancers poll health every few seconds per instance: a successful
    // probe is logged at debug, so it neither buries real traffic nor costs a line each; a
    // failing one (503) stays at info.
    else if (status < 400 && line.route?.startsWith('/health')) request.log.debug(line, 'request');
    else request.log.info(line, 'request');
  });
}
