import { sql } from 'drizzle-orm';
import { bigint, date, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { LOG_SEQUENCE } from './changes.ts';
import { idColumn, syncColumns, tstz, xid8 } from './columns.ts';
import { users } from './users.ts';

export const TRIP_STATUSES = ['draft', 'planned', 'active', 'completed', 'cancelled'] as const;
export const TRIP_VISIBILITIES = ['private', 'shared', 'public'] as const;
export const ROLES = ['owner', 'editor', 'viewer'] as const;
export type TripStatus = (typeof TRIP_STATUSES)[number];
export type TripVisibility = (typeof TRIP_VISIBILITIES)[number];
export type Role = (typeof ROLES)[number];

export const trips = pgTable(
  'trips',
  {
    id: idColumn(),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    creatorId: uuid('creator_id').references(() => users.id, { onDelete: 'set null' }),
    startDate: date('start_date', { mode: 'string' }),
    endDate: date('end_date', { mode: 'string' }),
    status: text('status', { enum: TRIP_STATUSES }).notNull().default('draft'),
    visibility: text('visibility', { enum: TRIP_VISIBILITIES }).notNull().default('private'),
    ...syncColumns(),
  },
  (t) => [
    index('trips_created_idx').on(t.createdAt, t.id),
    // The trips a user is named in as creator, for the trigger that gives them a new row version
    // when the user changes (migrations/0009).
    index('trips_creator_idx')
      .on(t.creatorId)
      .where(sql`${t.creatorId} is not null`),
  ],
);

/** Collaborators: who is in a trip and with which role. Exactly one row per (trip, user). */
export const tripMembers = pgTable(
  'trip_members',
  {
    id: idColumn(),
    tripId: uuid('trip_id')
      .notNull()
      .references(() => trips.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ROLES }).notNull(),
    invitedById: uuid('invited_by_id').references(() => users.id, { onDelete: 'set null' }),
    joinedAt: tstz('joined_at').notNull().defaultNow(),
    // Where in the change log this membership began (its `join` in membership_log): sync sends a
    // trip whole to a client whose cursor is older. Memberships from before that log have (0, 0).
    joinedTxid: xid8('joined_txid')
      .notNull()
      .default(sql`pg_current_xact_id()`),
    joinedSeq: bigint('joined_seq', { mode: 'number' }).notNull().default(LOG_SEQUENCE),
    // The trip's created_at, copied onto each membership by the trigger stp_member_trip_created
    // (migrations/0007) on every insert (whatever the writer) and on every change of the trip's
    // created_at. The trip list's default ordering is its trips' creation, newest first: ordered
    // by this column, the user's page is a range scan of the index below that stops at the page's
    // end, however many trips the user has, instead of a sort of all of them. (The default only
    // serves the insert's NOT NULL check; the trigger sets the value.)
    tripCreatedAt: tstz('trip_created_at').notNull().defaultNow(),
    ...syncColumns(),
  },
  (t) => [
    uniqueIndex('trip_members_trip_user_key').on(t.tripId, t.userId),
    // "My trips" by creation (the list's default ordering and its reverse): see tripCreatedAt.
    index('trip_members_user_trip_created_idx').on(t.userId, t.tripCreatedAt, t.tripId),
    // "My trips" starts from the member row; this index makes that a range scan.
    index('trip_members_user_trip_idx').on(t.userId, t.tripId),
    // A sync snapshot walks a user's memberships in join order (keyset paging, src/modules/sync).
    index('trip_members_user_joined_idx').on(t.userId, t.joinedTxid, t.joinedSeq, t.tripId),
    // The memberships a user is named in as inviter (migrations/0009, as trips_creator_idx).
    index('trip_members_invited_by_idx')
      .on(t.invitedById)
      .where(sql`${t.invitedById} is not null`),
  ],
);

/**
 * How many trips each user belongs to, kept by the trigger `stp_member_count` on `trip_members`
 * (migrations/0005) in the transaction of every join and leave, cascades included. The trip
 * list's `count` and its fingerprint read this one row: counting a user's memberships grew with
 * them. No foreign key: a deleted user's memberships go by cascade, the trigger counts each leave,
 * and a row that reaches zero is deleted, so nothing is left behind.
 */
export const memberCounts = pgTable('member_counts', {
  userId: uuid('user_id').primaryKey(),
  trips: integer('trips').notNull(),
});

export const INVITATION_STATUSES = ['pending', 'accepted', 'declined', 'revoked', 'expired'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

/** Invitations by email; only the token's hash is stored. */
export const invitations = pgTable(
  'invitations',
  {
    id: idColumn(),
    tripId: uuid('trip_id')
      .notNull()
      .references(() => trips.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    role: text('role', { enum: ROLES }).notNull(),
    message: text('message').notNull().default(''),
    tokenHash: text('token_hash').notNull().unique(),
    invitedById: uuid('invited_by_id').references(() => users.id, { onDelete: 'set null' }),
    status: text('status', { enum: INVITATION_STATUSES }).notNull().default('pending'),
    expiresAt: tstz('expires_at').notNull(),
    respondedAt: tstz('responded_at'),
    ...syncColumns(),
  },
  (t) => [
    // At most one pending invitation per trip and address.
    uniqueIndex('invitations_pending_key')
      .on(t.tripId, sql`lower(${t.email})`)
      .where(sql`${t.status} = 'pending'`),
    index('invitations_email_idx').on(sql`lower(${t.email})`, t.status),
  ],
);

export type TripRow = typeof trips.$inferSelect;
export type TripMemberRow = typeof tripMembers.$inferSelect;
export type InvitationRow = typeof invitations.$inferSelect;
