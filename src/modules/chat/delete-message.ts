import type { ChatMessageRow } from '../../db/schema/index.ts';
import { permissionDenied, preconditionFailed } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { can } from '../trips/policy.ts';
import { authorizeMessage } from './message-access.ts';
import { saveMessage } from './save-message.ts';

/**
 * Deletes a message: its sender, or a member whose role may moderate (the owner). The row stays
 * without content so replies and history keep their place: the object still exists, so the change
 * log records an update of `is_deleted` (live clients get `message_deleted`). Deleting a deleted
 * message changes nothing.
 */
export async function deleteMessage(
  unit: Unit,
  props: {
    userId: string;
    messageId: string;
    expectedVersion: number | null;
    presentCurrent: (row: ChatMessageRow) => Promise<unknown>;
  },
): Promise<{ message: ChatMessageRow; changed: boolean }> {
  const { message, role } = await authorizeMessage(unit.tx, {
    messageId: props.messageId,
    userId: props.userId,
    action: 'chat.read',
    lock: true,
  });
  const own = message.senderId === props.userId;
  if (!own && !can(role, 'chat.moderate')) throw permissionDenied('You can only delete your own messages.');
  if (props.expectedVersion !== null && props.expectedVersion !== message.version)
    throw preconditionFailed(await props.presentCurrent(message));
  if (message.isDeleted) return { message, changed: false };
  const deleted = await saveMessage(unit, {
    message,
    set: { content: '', isDeleted: true },
    fields: ['content', 'is_deleted'],
    userId: props.userId,
  });
  return { message: deleted, changed: true };
}
