import type { ChatMessageRow, UserRow } from '../../db/schema/index.ts';
import { firstChars } from './content.ts';
import type { MessageView } from './schemas.ts';

/** The rows a message presentation refers to, loaded in a fixed number of queries. */
export interface MessageGraph {
  users: Map<string, UserRow>;
  /** Messages replied to, by id. */
  replies: Map<string, ChatMessageRow>;
}

const presentSender = (user: UserRow) => ({
  id: user.id,
  email: user.email,
  username: user.username,
  full_name: `${user.firstName} ${user.lastName}`.trim(),
});

/** The message object of the spec. Deleted messages keep their place but not their content. */
export function presentMessage(row: ChatMessageRow, graph: MessageGraph): MessageView {
  const sender = row.senderId ? graph.users.get(row.senderId) : undefined;
  const reply = row.replyToId ? graph.replies.get(row.replyToId) : undefined;
  const replySender = reply?.senderId ? graph.users.get(reply.senderId) : undefined;
  return {
    id: row.id,
    chat_room: row.chatRoomId,
    chat_room_id: row.chatRoomId,
    trip_id: row.tripId,
    sender: sender ? presentSender(sender) : null,
    content: row.isDeleted ? '' : row.content,
    message_type: row.messageType,
    reply_to: reply
      ? {
          id: reply.id,
          content: reply.isDeleted ? '' : firstChars(reply.content, 100),
          sender_email: replySender?.email ?? null,
        }
      : null,
    is_edited: row.isEdited,
    is_deleted: row.isDeleted,
    client_id: row.clientId,
    version: row.version,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
