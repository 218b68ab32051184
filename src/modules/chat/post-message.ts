import { randomUUID } from 'node:crypto';
import { and, eq, or, sql } from 'drizzle-orm';
import { prepared } from '../../db/prepared.ts';
import { chatMessages, type ChatMessageRow, type UserRow } from '../../db/schema/index.ts';
import { isForeignKeyViolation } from '../../db/errors.ts';
import { conflict, fieldError, notFound, permissionDenied } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { can } from '../trips/policy.ts';
import { checkContent } from './content.ts';
import { postDirect } from './post-direct.ts';
import { presentMessage } from './presenter.ts';
import { findMessage, loadMessageGraph, postingContext, roomOfTrip } from './queries.ts';
import type { MessageView, PostMessageBody } from './schemas.ts';

const FIELDS = ['content', 'message_type', 'reply_to', 'client_id'];

/**
 * Posts a member's message (REST and socket alike). A retry carrying the same `id` or `client_id`
 * returns the message already stored (`created: false`) instead of a duplicate. A new message
 * comes back presented (`view`), and its change carries that view to the sockets.
 */
export async function postMessage(
  unit: Unit,
  props: { userId: string; tripId: string; input: PostMessageBody },
): Promise<
  { message: ChatMessageRow; created: false } | { message: ChatMessageRow; created: true; view: MessageView }
> {
  const { input, userId } = props;
  const valid = directContent(input);
  const direct = valid === null ? null : await postDirect(unit, props, valid);
  if (direct) return recordPosted(unit, props, direct.message, direct.sender);
  // No row lock on the trip here: every post of a busy room would share it (a multixact that grows
  // with the concurrent posters). The rare delete racing a post is caught at the insert instead.
  // The membership row authorizes (as authorizeTrip would: 404 for non-members, then the policy).
  const context = await postingContext(unit.tx, props.tripId, userId);
  if (!context) throw notFound('Trip not found.');
  if (!can(context.role, 'chat.post')) throw permissionDenied();
  if (input.message_type === 'system')
    throw fieldError('message_type', 'Only the server writes system messages.');
  const content = checkContent(input.content);
  const roomId = context.roomId ?? (await roomOfTrip(unit.tx, props.tripId)).id;
  if (input.reply_to) {
    const target = await findMessage(unit.tx, input.reply_to);
    if (!target || target.chatRoomId !== roomId)
      throw fieldError('reply_to', 'No such message in this chat room.');
  }
  const [message] = await insertMessage(unit, props, roomId, content);
  if (!message) return { message: await samePost(unit, props), created: false };
  return recordPosted(unit, props, message, context.sender);
}

/** The content of a post the one-statement path can take (no reply, not system, valid), else null. */
function directContent(input: PostMessageBody): string | null {
  if (input.reply_to || input.message_type === 'system') return null;
  try {
    return checkContent(input.content);
  } catch {
    return null; // the general path reports it, after the membership check, as before
  }
}

/** Presents a new message and logs it (the change carries the view to the sockets). */
async function recordPosted(
  unit: Unit,
  props: { userId: string; tripId: string },
  message: ChatMessageRow,
  senderRow: UserRow,
): Promise<{ message: ChatMessageRow; created: true; view: MessageView }> {
  const { userId } = props;
  // No query unless the message replies to one (its preview and that sender are read then).
  const sender = new Map([[senderRow.id, senderRow]]);
  const view = presentMessage(message, await loadMessageGraph(unit.tx, [message], sender));
  await unit.record({
    tripId: props.tripId,
    entity: 'message',
    entityId: message.id,
    op: 'insert',
    version: message.version,
    actorId: userId,
    fields: FIELDS,
    view,
  });
  return { message, created: true, view };
}

/**
 * Inserts the post; no row when its id or client_id is already taken. A trip (and so its room)
 * deleted since the membership check makes the foreign keys fail: that is the trip's 404.
 */
async function insertMessage(
  unit: Unit,
  props: { userId: string; tripId: string; input: PostMessageBody },
  roomId: string,
  content: string,
): Promise<ChatMessageRow[]> {
  const { input } = props;
  try {
    // Prepared: the hot path of every chat message. The id is made here when the client sent
    // none (a random uuid, as the column's default would), so the statement text never varies.
    return await prepared(unit.tx, 'post_message', (db) =>
      db
        .insert(chatMessages)
        .values({
          id: sql.placeholder('id'),
          chatRoomId: sql.placeholder('roomId'),
          tripId: sql.placeholder('tripId'),
          senderId: sql.placeholder('senderId'),
          content: sql.placeholder('content'),
          messageType: sql.placeholder('messageType'),
          replyToId: sql.placeholder('replyToId'),
          clientId: sql.placeholder('clientId'),
        })
        // Any unique key (the id, or the sender's client_id) means "already posted".
        .onConflictDoNothing()
        .returning(),
    ).execute({
      id: input.id ?? randomUUID(),
      roomId,
      tripId: props.tripId,
      senderId: props.userId,
      content,
      messageType: input.message_type ?? 'text',
      replyToId: input.reply_to ?? null,
      clientId: input.client_id ?? null,
    });
  } catch (error) {
    if (isForeignKeyViolation(error)) throw notFound('Trip not found.');
    throw error;
  }
}

/** The stored message a retried post names, or 409 when the id or client_id belongs to another. */
async function samePost(
  unit: Unit,
  props: { userId: string; tripId: string; input: PostMessageBody },
): Promise<ChatMessageRow> {
  const { id, client_id: clientId } = props.input;
  const matches = [
    ...(id ? [eq(chatMessages.id, id)] : []),
    ...(clientId ? [and(eq(chatMessages.senderId, props.userId), eq(chatMessages.clientId, clientId))] : []),
  ];
  const rows =
    matches.length > 0
      ? await unit.tx
          .select()
          .from(chatMessages)
          .where(or(...matches))
      : [];
  const mine = rows.find((r) => r.senderId === props.userId && r.tripId === props.tripId);
  if (mine && rows.every((r) => r.id === mine.id)) return mine;
  const field = rows.some((r) => r.id === id) ? 'id' : 'client_id';
  throw conflict('This message id is already in use.', { [field]: ['This id is already in use.'] });
}
