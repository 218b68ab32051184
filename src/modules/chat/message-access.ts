import { and, eq } from 'drizzle-orm';
import type { Db, Tx } from '../../db/index.ts';
import {
  chatMessages,
  chatRooms,
  tripMembers,
  type ChatMessageRow,
  type ChatRoomRow,
  type Role,
} from '../../db/schema/index.ts';
import { notFound, permissionDenied } from '../../http/errors.ts';
import { can, type TripAction } from '../trips/policy.ts';

/**
 * A message and the caller's role in its trip, if the policy allows `action`: 404 for messages
 * of trips the caller is not in (no existence leak), 403 when the role is too low.
 * `lock` takes the message row FOR UPDATE so two edits cannot both read the same version.
 */
export async function authorizeMessage(
  db: Db | Tx,
  props: { messageId: string; userId: string; action: TripAction; lock?: boolean },
): Promise<{ message: ChatMessageRow; role: Role }> {
  const query = db
    .select({ message: chatMessages, role: tripMembers.role })
    .from(chatMessages)
    .innerJoin(
      tripMembers,
      and(eq(tripMembers.tripId, chatMessages.tripId), eq(tripMembers.userId, props.userId)),
    )
    .where(eq(chatMessages.id, props.messageId))
    .limit(1);
  const [row] = props.lock ? await query.for('update', { of: chatMessages }) : await query;
  if (!row) throw notFound('Message not found.');
  if (!can(row.role, props.action)) throw permissionDenied();
  return row;
}

/** A room and the caller's role in its trip, under the same rules as authorizeMessage. */
export async function authorizeRoom(
  db: Db | Tx,
  props: { roomId: string; userId: string; action: TripAction },
): Promise<{ room: ChatRoomRow; role: Role }> {
  const [row] = await db
    .select({ room: chatRooms, role: tripMembers.role })
    .from(chatRooms)
    .innerJoin(
      tripMembers,
      and(eq(tripMembers.tripId, chatRooms.tripId), eq(tripMembers.userId, props.userId)),
    )
    .where(eq(chatRooms.id, props.roomId))
    .limit(1);
  if (!row) throw notFound('Chat room not found.');
  if (!can(row.role, props.action)) throw permissionDenied();
  return row;
}
