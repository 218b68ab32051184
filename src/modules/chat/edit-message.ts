import type { ChatMessageRow } from '../../db/schema/index.ts';
import { badRequest, permissionDenied, preconditionFailed } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { can } from '../trips/policy.ts';
import { checkContent } from './content.ts';
import { authorizeMessage } from './message-access.ts';
import { saveMessage } from './save-message.ts';

/**
 * Edits the caller's own message. Unchanged content is not an edit: the message is returned as
 * it is, never flagged edited (the original flagged every save).
 */
export async function editMessage(
  unit: Unit,
  props: {
    userId: string;
    messageId: string;
    content: string;
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
  if (message.senderId !== props.userId || !can(role, 'chat.post'))
    throw permissionDenied('You can only edit your own messages.');
  if (message.isDeleted) throw badRequest('This message was deleted.', 'message_deleted');
  if (props.expectedVersion !== null && props.expectedVersion !== message.version)
    throw preconditionFailed(await props.presentCurrent(message));
  const content = checkContent(props.content);
  if (content === message.content) return { message, changed: false };
  const updated = await saveMessage(unit, {
    message,
    set: { content, isEdited: true },
    fields: ['content', 'is_edited'],
    userId: props.userId,
  });
  return { message: updated, changed: true };
}
