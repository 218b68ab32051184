import { boolean, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { idColumn, syncColumns, tstz } from './columns.ts';
import { trips } from './trips.ts';
import { users } from './users.ts';

export const polls = pgTable(
  'polls',
  {
    id: idColumn(),
    tripId: uuid('trip_id')
      .notNull()
      .references(() => trips.id, { onDelete: 'cascade' }),
    createdById: uuid('created_by_id').references(() => users.id, { onDelete: 'set null' }),
    question: text('question').notNull(),
    description: text('description').notNull().default(''),
    isActive: boolean('is_active').notNull().default(true),
    closesAt: tstz('closes_at'),
    allowMultiple: boolean('allow_multiple').notNull().default(false),
    ...syncColumns(),
  },
  (t) => [index('polls_trip_idx').on(t.tripId, t.createdAt)],
);

export const pollOptions = pgTable(
  'poll_options',
  {
    id: idColumn(),
    pollId: uuid('poll_id')
      .notNull()
      .references(() => polls.id, { onDelete: 'cascade' }),
    text: text('text').notNull(),
    position: integer('position').notNull(),
  },
  (t) => [index('poll_options_poll_idx').on(t.pollId, t.position)],
);

/** One row per (option, voter); a single-choice poll keeps at most one per voter (enforced in the use case). */
export const pollVotes = pgTable(
  'poll_votes',
  {
    id: idColumn(),
    pollId: uuid('poll_id')
      .notNull()
      .references(() => polls.id, { onDelete: 'cascade' }),
    optionId: uuid('option_id')
      .notNull()
      .references(() => pollOptions.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('poll_votes_option_user_key').on(t.optionId, t.userId),
    index('poll_votes_poll_user_idx').on(t.pollId, t.userId),
  ],
);

export type PollRow = typeof polls.$inferSelect;
export type PollOptionRow = typeof pollOptions.$inferSelect;
export type PollVoteRow = typeof pollVotes.$inferSelect;
