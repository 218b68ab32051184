import { pgTable, uuid } from 'drizzle-orm/pg-core';
import { idColumn, tstz } from './columns.ts';
import { trips } from './trips.ts';

/** One chat room per trip, created with the trip (messages arrive with the real-time stage). */
export const chatRooms = pgTable('chat_rooms', {
  id: idColumn(),
  tripId: uuid('trip_id')
    .notNull()
    .unique()
    .references(() => trips.id, { onDelete: 'cascade' }),
  createdAt: tstz('created_at').notNull().defaultNow(),
});

export type ChatRoomRow = typeof chatRooms.$inferSelect;
