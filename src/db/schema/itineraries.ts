import { date, index, integer, pgTable, text, time, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { idColumn, syncColumns } from './columns.ts';
import { trips } from './trips.ts';

/** One itinerary per trip day. */
export const itineraries = pgTable(
  'itineraries',
  {
    id: idColumn(),
    tripId: uuid('trip_id')
      .notNull()
      .references(() => trips.id, { onDelete: 'cascade' }),
    date: date('date', { mode: 'string' }).notNull(),
    title: text('title').notNull().default(''),
    notes: text('notes').notNull().default(''),
    ...syncColumns(),
  },
  (t) => [uniqueIndex('itineraries_trip_date_key').on(t.tripId, t.date)],
);

/** Ordered items of a day; `position` is 0..n-1 with no gaps (the API calls it `order`). */
export const itineraryItems = pgTable(
  'itinerary_items',
  {
    id: idColumn(),
    itineraryId: uuid('itinerary_id')
      .notNull()
      .references(() => itineraries.id, { onDelete: 'cascade' }),
    // Denormalised so access checks and the change log need no join.
    tripId: uuid('trip_id')
      .notNull()
      .references(() => trips.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    startTime: time('start_time'),
    endTime: time('end_time'),
    location: text('location').notNull().default(''),
    position: integer('position').notNull(),
    ...syncColumns(),
  },
  (t) => [
    index('itinerary_items_day_position_idx').on(t.itineraryId, t.position),
    // A sync snapshot reads a trip's items by id.
    index('itinerary_items_trip_idx').on(t.tripId, t.id),
  ],
);

export type ItineraryRow = typeof itineraries.$inferSelect;
export type ItineraryItemRow = typeof itineraryItems.$inferSelect;
