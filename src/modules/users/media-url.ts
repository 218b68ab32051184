import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import { absoluteBase } from '../../http/pagination.ts';

/** Turns a stored media key into an absolute URL as this request's client reaches the server. */
export function mediaUrlFor(
  request: FastifyRequest,
  ctx: Pick<AppContext, 'media'>,
): (key: string) => string {
  const base = absoluteBase(request);
  return (key) => base + ctx.media.publicPath(key);
}
