import { sql } from 'drizzle-orm';
import { boolean, index, pgTable, text, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { idColumn, syncColumns, tstz } from './columns.ts';
import { trips } from './trips.ts';
import { users } from './users.ts';

/** One chat room per trip, created with the trip. */
export const chatRooms = pgTable('chat_rooms', {
  id: idColumn(),
  tripId: uuid('trip_id')
    .notNull()
    .unique()
    .references(() => trips.id, { onDelete: 'cascade' }),
  createdAt: tstz('created_at').notNull().defaultNow(),
});

export const MESSAGE_TYPES = ['text', 'system', 'file'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const chatMessages = pgTable(
  'chat_messages',
  {
    id: idColumn(),
    chatRoomId: uuid('chat_room_id')
      .notNull()
      .references(() => chatRooms.id, { onDelete: 'cascade' }),
    // Denormalised so access checks and the change log need no join.
    tripId: uuid('trip_id')
      .notNull()
      .references(() => trips.id, { onDelete: 'cascade' }),
    senderId: uuid('sender_id').references(() => users.id, { onDelete: 'set null' }),
    content: text('content').notNull(),
    messageType: text('message_type', { enum: MESSAGE_TYPES }).notNull().default('text'),
    replyToId: uuid('reply_to_id').references((): AnyPgColumn => chatMessages.id, { onDelete: 'set null' }),
    isEdited: boolean('is_edited').notNull().default(false),
    isDeleted: boolean('is_deleted').notNull().default(false),
    /** The sender's own id for the message, echoed back and used to drop retried duplicates. */
    clientId: text('client_id'),
    ...syncColumns(),
  },
  (t) => [
    // History pages are keyset scans over this index, newest first.
    index('chat_messages_room_created_idx').on(t.chatRoomId, t.createdAt, t.id),
    uniqueIndex('chat_messages_sender_client_key')
      .on(t.senderId, t.clientId)
      .where(sql`${t.clientId} is not null`),
  ],
);

export type ChatRoomRow = typeof chatRooms.$inferSelect;
export type ChatMessageRow = typeof chatMessages.$inferSelect;
