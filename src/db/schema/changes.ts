import { sql } from 'drizzle-orm';
import { bigserial, customType, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { tstz } from './columns.ts';

/** PostgreSQL's 64-bit transaction id type; read as a string to keep full precision. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

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
  ],
);

export type ChangeRow = typeof changes.$inferSelect;
