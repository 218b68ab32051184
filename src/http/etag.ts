import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from './errors.ts';

/** Sets `ETag: "<version>"` so clients can send it back in If-Match. */
export function setEtag(reply: FastifyReply, version: number): void {
  reply.header('etag', `"${version}"`);
}

/**
 * The version an If-Match header requires, `null` when absent or `*`. Accepts `"3"`, `W/"3"` and a
 * bare `3`; a list matches none of ours, so anything else is a 400 rather than silently ignored.
 */
export function expectedVersion(request: FastifyRequest): number | null {
  const header = request.headers['if-match'];
  if (header === undefined || header.trim() === '*') return null;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!match) throw badRequest('If-Match must be the ETag of the object, e.g. "3".', 'invalid_if_match');
  return Number(match[1]);
}
