import type { AppContext } from '../context.ts';
import type { ChatRoomRow } from '../db/schema/index.ts';
import { AppError, fieldError, permissionDenied } from '../http/errors.ts';
import { inTransaction } from '../modules/changes/unit-of-work.ts';
import { deleteMessage } from '../modules/chat/delete-message.ts';
import { editMessage } from '../modules/chat/edit-message.ts';
import { postMessage } from '../modules/chat/post-message.ts';
import { findMessage, pageOfMessages, presentMessages } from '../modules/chat/queries.ts';
import { can } from '../modules/trips/policy.ts';
import { parseClientFrame, type ClientFrame } from './client-frames.ts';
import { CLOSE } from './close-codes.ts';
import type { Conn } from './connection.ts';
import { frame } from './frames.ts';
import type { Hub } from './hub.ts';

export interface FrameContext {
  ctx: AppContext;
  hub: Hub;
  conn: Conn;
  room: ChatRoomRow;
}

const HISTORY_SIZE = 50;

/** The newest messages before `before` (or the newest of all), oldest first, as message_history. */
export async function historyFrame(fc: FrameContext, before: string | null, limit: number, cursor?: string) {
  const anchor = before ? await findMessage(fc.ctx.db, before) : undefined;
  if (before && (!anchor || anchor.chatRoomId !== fc.room.id))
    throw fieldError('before', 'No such message in this chat room.');
  const page = await pageOfMessages(fc.ctx.db, { roomId: fc.room.id, before: anchor, limit });
  const messages = await presentMessages(fc.ctx.db, page.rows.reverse());
  return frame('message_history', {
    messages,
    has_more: page.hasMore,
    ...(before ? { before } : {}),
    ...(cursor ? { cursor } : {}),
  });
}

/**
 * Every write goes through the same use cases as REST (and so the same policy and content rules);
 * their committed changes reach every socket, the sender's included, through the change log.
 * Answers go to this socket only when nothing was written (a retried post, an unchanged edit).
 */
async function dispatch(fc: FrameContext, message: ClientFrame): Promise<void> {
  const { ctx, conn } = fc;
  const userId = conn.user.id;
  switch (message.type) {
    case 'ping':
      return conn.send(frame('pong', {}));
    case 'typing':
      if (!can(conn.role, 'chat.post')) throw permissionDenied();
      return fc.hub.publishTyping(conn, message.body.is_typing);
    case 'history':
      if (!can(conn.role, 'chat.read')) throw permissionDenied();
      return conn.send(
        await historyFrame(fc, message.body.before ?? null, message.body.limit ?? HISTORY_SIZE),
      );
    case 'chat_message': {
      const input = message.body;
      const { message: row, created } = await inTransaction(ctx, (unit) =>
        postMessage(unit, { userId, tripId: conn.tripId, input }),
      );
      if (!created) conn.send(frame('chat_message', { message: (await presentMessages(ctx.db, [row]))[0]! }));
      return;
    }
    case 'edit_message': {
      const { message: row, changed } = await inTransaction(ctx, (unit) =>
        editMessage(unit, {
          userId,
          messageId: message.body.message_id,
          content: message.body.content,
          expectedVersion: null,
          presentCurrent: async () => null,
        }),
      );
      if (!changed)
        conn.send(frame('message_edited', { message: (await presentMessages(ctx.db, [row]))[0]! }));
      return;
    }
    case 'delete_message': {
      const { message: row, changed } = await inTransaction(ctx, (unit) =>
        deleteMessage(unit, {
          userId,
          messageId: message.body.message_id,
          expectedVersion: null,
          presentCurrent: async () => null,
        }),
      );
      if (!changed) conn.send(frame('message_deleted', { message_id: row.id }));
      return;
    }
  }
}

const errorFrame = (code: string, message: string, details?: Record<string, unknown>, clientId?: string) =>
  frame('error', {
    message,
    code,
    ...(details && Object.keys(details).length > 0 ? { details } : {}),
    ...(clientId ? { client_id: clientId } : {}),
  });

/** Handles one client frame; every failure becomes an error frame and the socket stays open. */
export async function handleFrame(fc: FrameContext, text: string): Promise<void> {
  const { conn } = fc;
  const parsed = parseClientFrame(text);
  if (!parsed.ok) return conn.send(errorFrame(parsed.code, parsed.message, parsed.details, parsed.clientId));
  try {
    await dispatch(fc, parsed.frame);
  } catch (error) {
    if (error instanceof AppError)
      return conn.send(errorFrame(error.type, error.message, error.details, parsed.frame.clientId));
    fc.ctx.logger.error({ err: error, frame: parsed.frame.type }, 'socket frame failed');
    conn.send(errorFrame('internal_error', 'Internal server error.', undefined, parsed.frame.clientId));
  }
}

/** Applies the per-socket rate limit before a frame is queued; true when it may be handled. */
export function admitFrame(conn: Conn): boolean {
  const verdict = conn.admitFrame();
  if (verdict === 'ok') return true;
  if (verdict === 'flood') conn.close(CLOSE.tooMany, 'rate limit exceeded');
  else conn.send(errorFrame('rate_limited', 'Too many frames; slow down.'));
  return false;
}
