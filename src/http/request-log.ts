import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { redactUrl } from '../platform/logger.ts';
import type { EdgeStep } from './edge.ts';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts the caller's X-Request-Id when it is a safe token (so ids join up across services), else makes one. */
export function genRequestId(request: { headers: Record<string, string | string[] | undefined> }): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** The edge step that echoes the request id (first, so every answer carries it). */
export const echoRequestId: EdgeStep = (request, reply) => {
  reply.header('x-request-id', request.id);
  return undefined;
};

/**
 * Writes exactly one log line per request, with secrets kept out. The
 * line goes through the root logger with `req_id` (the field the request's own logger binds), so
 * a request that logs nothing else never builds its child logger (see lazyChildLogger).
 */
export function installRequestLogging(app: FastifyInstance): void {
  // The line carries only the fields chosen below (the URL's secrets already stripped), so it skips
  // the root logger's redaction: matching its 27 paths, wildcards included, took 27 µs a line
  // against 5 µs without, on every request. Anything else a request logs is still redacted.
  // The root logger is pino (createLogger, app.ts), so its child is one too.
  const lines = app.log.child({}, { redact: [] }) as Logger;
  // A callback hook: an async one costs a promise and a microtask turn on every request.
  app.addHook('onResponse', (request: FastifyRequest, reply, done) => {
    const status = reply.statusCode;
    // Orchestrators and load balancers poll health every few seconds per instance: a successful
    // probe is logged at debug, so it neither buries real traffic nor costs a line each; a
    // failing one (503) stays at info.
    const level =
      status >= 500
        ? 'error'
        : status < 400 && request.routeFacts?.url?.startsWith('/health')
          ? 'debug'
          : 'info';
    if (!lines.isLevelEnabled(level)) return done();
    const line = {
      req_id: request.id,
      method: request.method,
      url: redactUrl(request.url),
      route: request.routeFacts?.url ?? null,
      status,
      duration_ms: Math.round(reply.elapsedTime * 100) / 100,
      user_id: request.user?.id ?? null,
      ip: request.ip,
    };
    lines[level](line, 'request');
    done();
  });
}
