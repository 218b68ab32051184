import type { FastifyRequest } from 'fastify';
import type { Db } from '../../db/index.ts';
import { fieldError } from '../../http/errors.ts';
import { absoluteBase } from '../../http/pagination.ts';
import { findMessage, pageOfMessages, presentMessages } from './queries.ts';
import type { MessageListQuery } from './schemas.ts';

/**
 * A room's messages around `before`/`after` as the spec's cursor page: newest first, `next` pages
 * to older messages and `previous` to newer ones. A cursor message must belong to the room.
 */
export async function messagePage(db: Db, request: FastifyRequest, roomId: string, query: MessageListQuery) {
  if (query.before && query.after) throw fieldError('after', 'Send either before or after, not both.');
  const limit = query.limit ?? 50;
  const anchor = async (field: 'before' | 'after') => {
    const id = query[field];
    if (!id) return undefined;
    const row = await findMessage(db, id);
    if (!row || row.chatRoomId !== roomId) throw fieldError(field, 'No such message in this chat room.');
    return row;
  };
  const before = await anchor('before');
  const after = await anchor('after');
  const { rows, hasMore } = await pageOfMessages(db, { roomId, before, after, limit });
  const link = (field: 'before' | 'after', id: string) => {
    const url = new URL(request.url, absoluteBase(request));
    url.searchParams.delete('before');
    url.searchParams.delete('after');
    url.searchParams.set(field, id);
    url.searchParams.set('limit', String(limit));
    return url.toString();
  };
  const newest = rows[0];
  const oldest = rows.at(-1);
  // Older messages exist if this page was cut short going back, or if it paged forward from one.
  const moreOlder = after ? true : hasMore;
  const moreNewer = after ? hasMore : before !== undefined;
  return {
    results: await presentMessages(db, rows),
    has_more: hasMore,
    next: moreOlder && oldest ? link('before', oldest.id) : null,
    previous: moreNewer && newest ? link('after', newest.id) : null,
  };
}
