import { and, asc, count, desc, eq, ilike, inArray, or, sql, type Placeholder, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db, Tx } from '../../db/index.ts';
import { pageBounds, prepared } from '../../db/prepared.ts';
import { versionSet } from '../../db/versions.ts';
import {
  memberCounts,
  tripMembers,
  trips,
  users,
  type Role,
  type TripMemberRow,
  type TripRow,
  type UserRow,
} from '../../db/schema/index.ts';
import { totalOf, type PageWindow } from '../../http/pagination.ts';
import type { UserView } from '../users/schemas.ts';
import type { TripListQuery } from './schemas.ts';

/** Everything needed to present some trips, fetched in a fixed number of queries. */
export interface TripGraph {
  members: Map<string, TripMemberRow[]>;
  users: Map<string, UserRow>;
  /** Set by the presenter: each user presented once per response (see presenter.ts). */
  viewOf?: (id: string) => UserView | null;
}

/**
 * Members of the given trips and every user they reference, whatever the count: one query for the
 * members with their users, and a second only when a creator or inviter is no longer a member.
 */
export async function loadTripGraph(db: Db | Tx, tripRows: TripRow[]): Promise<TripGraph> {
  if (tripRows.length === 0) return { members: new Map(), users: new Map() };
  const rows = await prepared(db, 'trip_graph_members', (db) =>
    db
      .select({ member: tripMembers, user: users })
      .from(tripMembers)
      .innerJoin(users, eq(users.id, tripMembers.userId))
      // `= any(array)`: one statement text whatever the number of trips, so it is prepared once.
      .where(sql`${tripMembers.tripId} = any(${sql.placeholder('tripIds')}::uuid[])`)
      .orderBy(asc(tripMembers.joinedAt), asc(tripMembers.id)),
  ).execute({ tripIds: tripRows.map((t) => t.id) });
  return completeGraph(db, tripRows, rows);
}

/** Groups member rows by trip, then fetches the users they name that are not members (rarely any). */
async function completeGraph(
  db: Db | Tx,
  tripRows: TripRow[],
  rows: { member: TripMemberRow; user: UserRow }[],
): Promise<TripGraph> {
  const members = new Map<string, TripMemberRow[]>();
  const userById = new Map<string, UserRow>();
  for (const { member, user } of rows) {
    const list = members.get(member.tripId) ?? [];
    list.push(member);
    members.set(member.tripId, list);
    userById.set(user.id, user);
  }
  const missing = new Set<string>();
  for (const trip of tripRows)
    if (trip.creatorId && !userById.has(trip.creatorId)) missing.add(trip.creatorId);
  for (const { member } of rows)
    if (member.invitedById && !userById.has(member.invitedById)) missing.add(member.invitedById);
  if (missing.size > 0) {
    const extra = await db
      .select()
      .from(users)
      .where(inArray(users.id, [...missing]));
    for (const user of extra) userById.set(user.id, user);
  }
  return { members, users: userById };
}

const caller = alias(tripMembers, 'caller');

/**
 * One trip with the caller's role and the trip's members and their users, in one statement (a
 * trip detail's whole read: the caller's membership row is the join that authorizes it). Null when
 * there is no such trip or the caller is not a member.
 */
export async function loadTripForMember(
  db: Db | Tx,
  tripId: string,
  userId: string,
): Promise<{ trip: TripRow; role: Role; graph: TripGraph } | null> {
  const rows = await prepared(db, 'trip_for_member', (db) =>
    db
      .select({ trip: trips, role: caller.role, member: tripMembers, user: users })
      .from(trips)
      .innerJoin(caller, and(eq(caller.tripId, trips.id), eq(caller.userId, sql.placeholder('userId'))))
      .innerJoin(tripMembers, eq(tripMembers.tripId, trips.id))
      .innerJoin(users, eq(users.id, tripMembers.userId))
      .where(eq(trips.id, sql.placeholder('tripId')))
      .orderBy(asc(tripMembers.joinedAt), asc(tripMembers.id)),
  ).execute({ tripId, userId });
  const first = rows[0];
  if (!first) return null;
  return { trip: first.trip, role: first.role, graph: await completeGraph(db, [first.trip], rows) };
}

type Bound = number | Placeholder;

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** ORDER BY for a trip list ordering (`title`, `-created_at`, …), total so pages never overlap. */
function tripOrder(ordering: string): SQL[] {
  const descending = ordering.startsWith('-');
  // Creation order is read from the membership's copy (tripMembers.tripCreatedAt, indexed with
  // the user): the page is a range scan that stops at its end, whatever the user's trip count.
  // The other orderings sort the user's trips (clients list by creation unless asked otherwise).
  if (ordering.replace(/^-/, '') === 'created_at')
    return descending
      ? [desc(tripMembers.tripCreatedAt), desc(tripMembers.tripId)]
      : [asc(tripMembers.tripCreatedAt), asc(tripMembers.tripId)];
  const column = {
    start_date: trips.startDate,
    title: trips.title,
    updated_at: trips.updatedAt,
  }[ordering.replace(/^-/, '') as 'title'];
  // Nulls (trips without dates) sort last either way; the id makes the order total, so pages never overlap.
  // Said only for a nullable column: `nulls last` on a NOT NULL one keeps PostgreSQL from reading
  // an index on it in order.
  const nulls = column.notNull ? sql`` : sql` nulls last`;
  return descending
    ? [sql`${column} desc${nulls}`, desc(trips.id)]
    : [sql`${column} asc${nulls}`, asc(trips.id)];
}

/** The caller's trips matching the filters: a page query, and a count when the page cannot tell (keyed by the member index). */
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
  const order = tripOrder(ordering);

  // The common case (no filters) as prepared statements, one per ordering; filtered lists vary
  // in shape and are built per request.
  const plain = conditions.length === 1;
  const page = (db: Db | Tx, filter: SQL | undefined, limit: Bound, offset: Bound) =>
    db
      .select({ trip: trips, role: tripMembers.role })
      .from(tripMembers)
      .innerJoin(trips, eq(trips.id, tripMembers.tripId))
      .where(filter)
      .orderBy(...order)
      .limit(limit)
      .offset(offset);
  const rows = plain
    ? await prepared(db, `trip_list_${ordering.replace('-', 'desc_')}`, (db) =>
        page(
          db,
          eq(tripMembers.userId, sql.placeholder('userId')),
          sql.placeholder('limit'),
          sql.placeholder('offset'),
        ),
      ).execute({ userId, limit: window.limit, offset: window.offset })
    : await page(db, where, window.limit, window.offset);
  const total = await totalOf(window, rows.length, async () => {
    // Without trip filters the user's membership count is the total: one row, kept by a trigger
    // (memberCounts), however many trips the user has.
    const [row] = plain
      ? await prepared(db, 'trip_list_count', (db) =>
          db
            .select({ total: memberCounts.trips })
            .from(memberCounts)
            .where(eq(memberCounts.userId, sql.placeholder('userId'))),
        ).execute({ userId })
      : await db
          .select({ total: count() })
          .from(tripMembers)
          .innerJoin(trips, eq(trips.id, tripMembers.tripId))
          .where(where);
    // count() is a number from PGlite and a string from pg: normalise.
    return Number(row?.total ?? 0);
  });
  return { total, rows };
}

/**
 * The caller's role in a trip and a fingerprint of every row its trip object is presented from:
 * the trip, its memberships and the users they name (creator, members, inviters). Each row counts
 * by its version as PostgreSQL stores it: `xmin` (the transaction that wrote this version) and
 * `ctid` (where the version lives). Every insert or update of a row makes a new version, so any
 * change to any column a presenter reads, now or later, changes the fingerprint, and a deleted row
 * drops out of it. The trip row alone stands for all of them: the triggers of migrations/0009
 * write a new version of it, in the same transaction, whenever one of its memberships or one of
 * those users changes. Undefined when there is no such trip or the caller is not a member. See
 * http/response-cache.ts.
 */
export async function tripFingerprint(
  db: Db | Tx,
  tripId: string,
  userId: string,
): Promise<{ role: Role; fingerprint: string } | undefined> {
  const [row] = await prepared(db, 'trip_fingerprint', (db) =>
    db
      .select({
        role: tripMembers.role,
        fingerprint: sql<string>`${trips}.xmin::text || ${trips}.ctid::text`,
      })
      .from(trips)
      .innerJoin(
        tripMembers,
        and(eq(tripMembers.tripId, trips.id), eq(tripMembers.userId, sql.placeholder('userId'))),
      )
      .where(eq(trips.id, sql.placeholder('tripId')))
      .limit(1),
  ).execute({ tripId, userId });
  return row;
}

/**
 * A fingerprint of everything an unfiltered page of the caller's trip list is presented from, by
 * row versions as in tripFingerprint: the page's trips (each standing for its members and their
 * users, as there) and the caller's memberships, with the same ordering, limit and offset as the
 * page query, and the caller's membership count (memberCounts: one row). See
 * http/response-cache.ts.
 */
export async function tripListFingerprint(
  db: Db | Tx,
  userId: string,
  ordering: string,
  window: PageWindow,
): Promise<string> {
  const bounds = pageBounds(window);
  const name = `trip_list_fingerprint_${ordering.replace('-', 'desc_')}${bounds.suffix}`;
  const [row] = await prepared(db, name, (db) => {
    const page = db.$with('page').as(
      db
        .select({
          version:
            sql<string>`${trips}.xmin::text || ${trips}.ctid::text || ${tripMembers}.xmin::text || ${tripMembers}.ctid::text`.as(
              'version',
            ),
        })
        .from(tripMembers)
        .innerJoin(trips, eq(trips.id, tripMembers.tripId))
        .where(eq(tripMembers.userId, sql.placeholder('userId')))
        .orderBy(...tripOrder(ordering))
        .limit(bounds.limit)
        .offset(bounds.offset),
    );
    return db
      .with(page)
      .select({
        fingerprint: sql<string>`${versionSet(sql`page.version`)}
          || '|' || (select coalesce(max(c.trips), 0) from member_counts c where c.user_id = ${sql.placeholder('userId')})::text`,
      })
      .from(page);
  }).execute({ userId, limit: window.limit, offset: window.offset });
  return row?.fingerprint ?? '';
}
