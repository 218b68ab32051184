import type { FastifyInstance } from 'fastify';
import { MEDIA_URL_PREFIX, type MediaStorage } from '../platform/media-storage.ts';
import { notFound } from './errors.ts';

/** Keys we generate: path segments of safe characters, no dot-segments, bounded length. */
const SAFE_KEY = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** A media key from the request path, or null when it cannot be one of ours. */
export function mediaKeyOf(wildcard: string): string | null {
  if (wildcard.length === 0 || wildcard.length > 512) return null;
  let key: string;
  try {
    key = decodeURIComponent(wildcard);
  } catch {
    return null;
  }
  return SAFE_KEY.test(key) && !key.split('/').includes('..') ? key : null;
}

/**
 * GET /media/<key>: uploaded files from whichever store is configured (local or S3), streamed.
 * Keys are never reused, so responses are cacheable forever; the API's `default-src 'none'` CSP
 * and nosniff apply, so an uploaded file can never run as a page.
 */
export function installMediaRoute(app: FastifyInstance, storage: MediaStorage): void {
  app.get(`${MEDIA_URL_PREFIX}*`, { schema: { hide: true } }, async (request, reply) => {
    const key = mediaKeyOf((request.params as { '*': string })['*']);
    if (!key) throw notFound();
    const file = await storage.get(key);
    if (!file) throw notFound();
    reply.header('cache-control', 'public, max-age=31536000, immutable');
    if (file.etag) {
      reply.header('etag', file.etag);
      if (request.headers['if-none-match'] === file.etag) {
        file.body.destroy();
        return reply.code(304).send();
      }
    }
    reply.type(file.contentType);
    if (file.size !== null) reply.header('content-length', file.size);
    return reply.send(file.body);
  });
}
