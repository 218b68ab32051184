import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay, { type HTTPVersion } from 'find-my-way';
import { isConnectionError } from '../db/errors.ts';
import { AppError, serviceUnavailable } from './errors.ts';
import { envelope } from './envelope.ts';
import { detailsFromAjv } from './validation.ts';

/** Fastify's own client errors, mapped to stable machine codes and plain messages. */
const FASTIFY_CODES: Record<string, { type: string; message?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { type: 'malformed_json', message: 'Request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { type: 'malformed_json', message: 'Request body is empty.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { type: 'payload_too_large', message: 'Request body is too large.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { type: 'unsupported_media_type', message: 'Unsupported content type.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    type: 'bad_request',
    message: 'Content-Length does not match the body.',
  },
  FST_REQ_FILE_TOO_LARGE: { type: 'payload_too_large', message: 'Uploaded file is too large.' },
  FST_PARTS_LIMIT: { type: 'payload_too_large', message: 'Too many parts in the form.' },
  FST_FILES_LIMIT: { type: 'payload_too_large', message: 'Too many files in the form.' },
  FST_FIELDS_LIMIT: { type: 'payload_too_large', message: 'Too many fields in the form.' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: {
    type: 'unsupported_media_type',
    message: 'Expected a multipart form.',
  },
  FST_ERR_VALIDATION: { type: 'validation_error', message: 'Invalid input.' },
};

function sendError(
  reply: FastifyReply,
  status: number,
  type: string,
  message: string,
  details: Record<string, unknown>,
) {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(envelope(status, type, message, details, String(reply.request.id)));
}

/** Router errors Fastify raises before any route or hook runs, mapped into the envelope. */
const ROUTER_ERRORS: Record<string, { status: number; type: string; message: string }> = {
  // Invalid percent-encoding in the path (`/trips/%/`): the URL itself is broken.
  FST_ERR_BAD_URL: { status: 400, type: 'bad_request', message: 'Malformed URL.' },
  // A path parameter longer than the router allows cannot name anything: the same 404 as a malformed id.
  FST_ERR_MAX_PARAM_LENGTH: { status: 404, type: 'not_found', message: 'Not found.' },
};

/**
 * Fastify's `frameworkErrors` option. Without it the router answers a bad URL or an over-long path
 * parameter with its own JSON shape and no request id, and on a WebSocket upgrade request it never
 * closes the socket (no hook runs), which leaks it and stalls shutdown.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const known = ROUTER_ERRORS[error.code] ?? {
    status: 500,
    type: 'internal_error',
    message: 'Internal server error.',
  };
  if (known.status >= 500) request.log.error({ err: error }, 'router error');
  if (request.raw.headers.upgrade) reply.raw.once('finish', () => request.raw.socket?.destroy());
  reply.header('x-request-id', String(request.id));
  void sendError(reply, known.status, known.type, known.message, {});
}

/** Node's HTTP parser errors, answered before Fastify sees a request (no hook or reply exists yet). */
const CLIENT_ERRORS: Record<string, { status: number; type: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    type: 'headers_too_large',
    message: 'Request line or headers are too large.',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    type: 'request_timeout',
    message: 'Request took too long to arrive.',
  },
};

/**
 * Fastify's `clientErrorHandler` option: a request the HTTP parser rejects (a URL or headers over
 * the size cap, bytes that are not HTTP) is answered in the envelope, then the connection closes.
 */
export function clientErrorHandler(
  this: FastifyInstance,
  error: NodeJS.ErrnoException,
  socket: Duplex,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const known = (error.code && CLIENT_ERRORS[error.code]) || {
    status: 400,
    type: 'bad_request',
    message: 'Malformed HTTP request.',
  };
  const requestId = randomUUID();
  this.log.debug({ err: error, req_id: requestId }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify(envelope(known.status, known.type, known.message, {}, requestId));
    socket.end(
      `HTTP/1.1 ${known.status} ${STATUS_CODES[known.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** The one error handler: every error leaves in the envelope; unknown ones are masked and logged. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AppError) {
      reply.headers(error.headers);
      return sendError(reply, error.statusCode, error.type, error.message, error.details);
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const details = detailsFromAjv(fastifyError.validation as never);
      // A bad path parameter (a malformed UUID) names nothing the client can fix in a form: it is a 404.
      if (fastifyError.validationContext === 'params')
        return sendError(reply, 404, 'not_found', 'Not found.', {});
      return sendError(reply, 400, 'validation_error', 'Invalid input.', details);
    }
    // The database is restarting or unreachable: a retryable 503 (with Retry-After), not a bug.
    if (isConnectionError(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      const unavailable = serviceUnavailable();
      reply.headers(unavailable.headers);
      return sendError(reply, 503, unavailable.type, unavailable.message, unavailable.details);
    }
    const status = fastifyError.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const known = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
      if (status === 429) return sendError(reply, 429, 'rate_limited', 'Request was throttled.', {});
      return sendError(
        reply,
        status,
        known?.type ?? 'bad_request',
        known?.message ?? fastifyError.message,
        {},
      );
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, 500, 'internal_error', 'Internal server error.', {});
  });
}

/**
 * 404 for unknown paths, 405 (with Allow) for known paths with the wrong method. Fastify answers
 * both with its not-found handler, so the known routes are kept in a second router to tell them apart.
 */
export function installNotFound(app: FastifyInstance): void {
  const router = FindMyWay<HTTPVersion.V1>({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true });
  const noop = () => undefined;
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      try {
        router.on(method as never, route.url, noop);
      } catch {
        // The same path registered twice (aliases) is fine: the first registration answers.
      }
    }
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter(
      (m) => router.find(m as never, path) !== null,
    );
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      reply.header('allow', allowed.join(', '));
      return sendError(reply, 405, 'method_not_allowed', `Method "${request.method}" not allowed.`, {});
    }
    return sendError(reply, 404, 'not_found', 'Not found.', {});
  });
}
