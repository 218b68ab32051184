import { and, asc, count, desc, eq, ilike, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/index.ts';
import {
  tripMembers,
  trips,
  users,
  type Role,
  type TripMemberRow,
  type TripRow,
  type UserRow,
} from '../../db/schema/index.ts';
import type { PageWindow } from '../../http/pagination.ts';
import type { TripListQuery } from './schemas.ts';

/** Everything needed to present some trips, fetched in a fixed number of queries. */
export interface TripGraph {
  members: Map<string, TripMemberRow[]>;
  users: Map<string, UserRow>;
}

/** Members of the given trips and every user they reference: two queries whatever the count. */
export async function loadTripGraph(db: Db | Tx, tripRows: TripRow[]): Promise<TripGraph> {
  const members = new Map<string, TripMemberRow[]>();
  if (tripRows.length === 0) return { members, users: new Map() };
  const memberRows = await db
    .select()
    .from(tripMembers)
    .where(
      inArray(
        tripMembers.tripId,
        tripRows.map((t) => t.id),
      ),
    )
    .orderBy(asc(tripMembers.joinedAt), asc(tripMembers.id));
  for (const row of memberRows) {
    const list = members.get(row.tripId) ?? [];
    list.push(row);
    members.set(row.tripId, list);
  }
  const userIds = new Set<string>();
  for (const trip of tripRows) if (trip.creatorId) userIds.add(trip.creatorId);
  for (const row of memberRows) {
    userIds.add(row.userId);
    if (row.invitedById) userIds.add(row.invitedById);
  }
  const userRows =
    userIds.size > 0
      ? await db
          .select()
          .from(users)
          .where(inArray(users.id, [...userIds]))
      : [];
  return { members, users: new Map(userRows.map((u) => [u.id, u])) };
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The caller's trips matching the filters: one count and one page query (keyed by the member index). */
export async function listTripsForUser(
  db: Db,
  userId: string,
  query: TripListQuery,
  window: PageWindow,
): Promise<{ total: number; rows: { trip: TripRow; role: Role }[] }> {
  const conditions: SQL[] = [eq(tripMembers.userId, userId)];
  if (query.status) conditions.push(eq(trips.status, query.status));
  if (query.search) {
    const pattern = `%${escapeLike(query.search.trim())}%`;
    conditions.push(or(ilike(trips.title, pattern), ilike(trips.description, pattern))!);
  }
  const where = and(...conditions);
  const ordering = query.ordering ?? '-created_at';
  const descending = ordering.startsWith('-');
  const column = {
    created_at: trips.createdAt,
    start_date: trips.startDate,
    title: trips.title,
    updated_at: trips.updatedAt,
  }[ordering.replace(/^-/, '') as 'created_at'];
  // Nulls (trips without dates) sort last either way; the id makes the order total, so pages never overlap.
  // Said only for a nullable column: `nulls last` on a NOT NULL one stops PostgreSQL from reading
  // trips_created_idx backwards, so the newest-first page sorted every trip the user has instead
  // of stopping after `limit` (10 ms instead of 0.1 ms at 10,000 trips).
  const nulls = column.notNull ? sql`` : sql` nulls last`;
  const order = descending
    ? [sql`${column} desc${nulls}`, desc(trips.id)]
    : [sql`${column} asc${nulls}`, asc(trips.id)];

  // Without trip filters the memberships alone give the count (the foreign key guarantees the
  // trip): an index-only scan of (user_id, trip_id) instead of a join over every trip.
  const [totalRow] =
    conditions.length === 1
      ? await db.select({ total: count() }).from(tripMembers).where(where)
      : await db
          .select({ total: count() })
          .from(tripMembers)
          .innerJoin(trips, eq(trips.id, tripMembers.tripId))
          .where(where);
  const rows = await db
    .select({ trip: trips, role: tripMembers.role })
    .from(tripMembers)
    .innerJoin(trips, eq(trips.id, tripMembers.tripId))
    .where(where)
    .orderBy(...order)
    .limit(window.limit)
    .offset(window.offset);
  // count() is a number from PGlite and a string from pg: normalise.
  return { total: Number(totalRow?.total ?? 0), rows };
}
