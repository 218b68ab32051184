import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay, { type HTTPVersion } from 'find-my-way';
import { AppError } from './errors.ts';
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
