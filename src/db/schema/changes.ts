import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { tstz, xid8 } from './columns.ts';

/**
 * The entities a sync client holds (votes stay inside their poll; messages have their own history).
 * The sync feed reads only these, through the partial indexes below, so a chat-heavy trip's
 * messages never sit between a client and its next page. Literal SQL: the planner uses a partial
 * index only when the query repeats its predicate.
 */
export const SYNC_LOG_ENTITIES = ['trip', 'collaborator', 'itinerary', 'item', 'poll'] as const;
export const SYNC_LOG_PREDICATE = sql.raw(`entity in (${SYNC_LOG_ENTITIES.map((e) => `'${e}'`).join(', ')})`);

/**
 * The change log: one row per write, inserted in the same transaction as the write.
 * `seq` orders changes; `txid` lets readers serve only changes from transactions that can no
 * longer commit "behind" them (see docs/architecture.md, "Change cursor").
 * Live events, the sync feed and the activity feed all read from here.
 */
export const changes = pgTable(
  'changes',
  {
    seq: bigserial('seq', { mode: 'bigint' }).primaryKey(),
    txid: xid8('txid')
      .notNull()
      .default(sql`pg_current_xact_id()`),
    tripId: uuid('trip_id'),
    entity: text('entity').notNull(),
    entityId: uuid('entity_id').notNull(),
    op: text('op', { enum: ['insert', 'update', 'delete'] }).notNull(),
    version: integer('version').notNull(),
    actorId: uuid('actor_id'),
    fields: text('fields')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [
    // Readers scan in cursor order, (txid, seq): globally and per trip.
    index('changes_cursor_idx').on(t.txid, t.seq),
    index('changes_trip_cursor_idx').on(t.tripId, t.txid, t.seq),
    index('changes_entity_idx').on(t.entity, t.entityId, t.seq),
    // The sync feed's two plans (src/modules/changes/read-changes.ts, readMemberChanges): keys
    // only, so both are index-only scans and just the page's rows are fetched from the table.
    index('changes_sync_trip_cursor_idx').on(t.tripId, t.txid, t.seq).where(SYNC_LOG_PREDICATE),
    index('changes_sync_cursor_idx').on(t.txid, t.seq, t.tripId).where(SYNC_LOG_PREDICATE),
  ],
);

export type ChangeRow = typeof changes.$inferSelect;

/** The sequence of `changes.seq`, shared by every log whose positions are compared with its cursor. */
export const LOG_SEQUENCE = sql`nextval('changes_seq_seq')`;

/**
 * Every user's membership history, positioned like `changes` (same `txid` default, `seq` from the
 * same sequence), so a sync cursor's log position also says which memberships a client has seen.
 * Written by the trigger `stp_membership_log` on `trip_members` (migrations/0003), in the
 * transaction of the membership change, whatever made it: a trip created, a member added, an
 * invitation accepted, a member removed or leaving, a trip deleted (its members cascade).
 * No foreign keys: the history outlives the trips it names.
 */
export const membershipLog = pgTable(
  'membership_log',
  {
    seq: bigint('seq', { mode: 'bigint' }).primaryKey().default(LOG_SEQUENCE),
    txid: xid8('txid')
      .notNull()
      .default(sql`pg_current_xact_id()`),
    userId: uuid('user_id').notNull(),
    tripId: uuid('trip_id').notNull(),
    op: text('op', { enum: ['join', 'leave'] }).notNull(),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [index('membership_log_user_cursor_idx').on(t.userId, t.txid, t.seq)],
);
