import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../db/index.ts';
import type { KeptAnswer } from '../../http/compression.ts';
import { absoluteBase } from '../../http/pagination.ts';
import { keptAnswer, ResponseCache, sendSerialized } from '../../http/response-cache.ts';
import { can } from '../trips/policy.ts';
import { newestPageFingerprint } from './queries.ts';
import type { MessageListQuery } from './schemas.ts';

// Serialized newest pages, per room and URL: ~30 KB for 50 messages with their senders.
const NEWEST_PAGE_CACHE_BYTES = 4 * 1024 * 1024;

/** A room by its own id or by its trip's, as the two message-list routes name it. */
export interface RoomRef {
  by: 'room' | 'trip';
  id: string;
}

/**
 * Sends a room's message page. The newest page (no `before`/`after`: what every client opens and
 * polls) is a kept answer, checked on each read against newestPageFingerprint, which also
 * authorizes: one statement instead of four (authorize, room, page, senders and replies) plus
 * presenting and serializing 50 messages. Any other page, and every refusal (a stranger's 404, a
 * role without chat.read, a trip without a room), comes from `read` as before. Null when it has
 * sent the kept answer, else what `read` gave, for the route to send.
 */
export function newestPageSender(db: Db) {
  const cache = new ResponseCache<KeptAnswer>(NEWEST_PAGE_CACHE_BYTES);
  return async <T extends object>(
    request: FastifyRequest,
    reply: FastifyReply,
    room: RoomRef & { userId: string },
    read: () => Promise<T>,
  ): Promise<T | null> => {
    const { before, after, limit = 50 } = request.query as MessageListQuery;
    if (before !== undefined || after !== undefined) return read();
    const fingerprintNow = async () => newestPageFingerprint(db, { ...room, limit });
    const probe = await fingerprintNow();
    if (!probe || !can(probe.role, 'chat.read')) return read();
    // The URL is in the key because the page's links are made from it (absolute, any extra query).
    const key = `${probe.roomId}|${absoluteBase(request)}${request.url}`;
    const answer = await cache.answer(
      key,
      probe.fingerprint,
      async () => keptAnswer(reply.serialize(await read()) as string, {}),
      async () => (await fingerprintNow())?.fingerprint,
    );
    sendSerialized(reply, answer);
    return null;
  };
}
