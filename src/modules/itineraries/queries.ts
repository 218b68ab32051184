import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/index.ts';
import { pageBounds, prepared } from '../../db/prepared.ts';
import {
  changes,
  itineraries,
  itineraryItems,
  tripMembers,
  type ItineraryItemRow,
  type ItineraryRow,
  type Role,
} from '../../db/schema/index.ts';
import { totalOf, type PageWindow } from '../../http/pagination.ts';
import type { EntityName } from '../changes/record-change.ts';

// Position first; created_at and id only break ties, so a day always reads in one stable order.
const ITEM_ORDER = [asc(itineraryItems.position), asc(itineraryItems.createdAt), asc(itineraryItems.id)];

/** A trip's days (optionally one date), ordered by date: a page query, and a count when the page cannot tell. */
export async function listDays(
  db: Db | Tx,
  props: { tripId: string; date: string | null; window: PageWindow },
): Promise<{ total: number; rows: ItineraryRow[] }> {
  const { window } = props;
  if (!props.date) {
    // The common case, every day of the trip, as prepared statements.
    const rows = await prepared(db, 'days_page', (db) =>
      db
        .select()
        .from(itineraries)
        .where(eq(itineraries.tripId, sql.placeholder('tripId')))
        .orderBy(asc(itineraries.date), asc(itineraries.id))
        .limit(sql.placeholder('limit'))
        .offset(sql.placeholder('offset')),
    ).execute({ tripId: props.tripId, limit: window.limit, offset: window.offset });
    const total = await totalOf(window, rows.length, async () => {
      const [row] = await prepared(db, 'days_count', (db) =>
        db
          .select({ total: count() })
          .from(itineraries)
          .where(eq(itineraries.tripId, sql.placeholder('tripId'))),
      ).execute({ tripId: props.tripId });
      // count() is a number from PGlite and a string from pg: normalise.
      return Number(row?.total ?? 0);
    });
    return { total, rows };
  }
  const where = and(eq(itineraries.tripId, props.tripId), eq(itineraries.date, props.date));
  const rows = await db
    .select()
    .from(itineraries)
    .where(where)
    .orderBy(asc(itineraries.date), asc(itineraries.id))
    .limit(window.limit)
    .offset(window.offset);
  const total = await totalOf(window, rows.length, async () => {
    const [row] = await db.select({ total: count() }).from(itineraries).where(where);
    return Number(row?.total ?? 0);
  });
  return { total, rows };
}

/** The items of all the given days in one query, grouped by day and in order. */
export async function itemsByDay(
  db: Db | Tx,
  dayIds: readonly string[],
): Promise<Map<string, ItineraryItemRow[]>> {
  const grouped = new Map<string, ItineraryItemRow[]>();
  if (dayIds.length === 0) return grouped;
  const rows = await prepared(db, 'items_of_days', (db) =>
    db
      .select()
      .from(itineraryItems)
      // `= any(array)`: one statement text whatever the number of days, so it is prepared once.
      .where(sql`${itineraryItems.itineraryId} = any(${sql.placeholder('dayIds')}::uuid[])`)
      .orderBy(...ITEM_ORDER),
  ).execute({ dayIds });
  for (const row of rows) {
    const list = grouped.get(row.itineraryId) ?? [];
    list.push(row);
    grouped.set(row.itineraryId, list);
  }
  return grouped;
}

/** The items of one day, in order. */
export async function itemsOfDay(db: Db | Tx, dayId: string): Promise<ItineraryItemRow[]> {
  return db
    .select()
    .from(itineraryItems)
    .where(eq(itineraryItems.itineraryId, dayId))
    .orderBy(...ITEM_ORDER);
}

/** One page of a day's items and their total: two queries. */
export async function pageOfItems(
  db: Db | Tx,
  dayId: string,
  window: PageWindow,
): Promise<{ total: number; rows: ItineraryItemRow[] }> {
  const where = eq(itineraryItems.itineraryId, dayId);
  const [totalRow] = await db.select({ total: count() }).from(itineraryItems).where(where);
  const rows = await db
    .select()
    .from(itineraryItems)
    .where(where)
    .orderBy(...ITEM_ORDER)
    .limit(window.limit)
    .offset(window.offset);
  return { total: Number(totalRow?.total ?? 0), rows };
}

/** How many items a day has (call under the day's lock to use it as the next position). */
export async function countItems(tx: Tx, dayId: string): Promise<number> {
  const [row] = await prepared(tx, 'count_items', (db) =>
    db
      .select({ total: count() })
      .from(itineraryItems)
      .where(eq(itineraryItems.itineraryId, sql.placeholder('dayId'))),
  ).execute({ dayId });
  return Number(row?.total ?? 0);
}

export async function findDay(db: Db | Tx, id: string): Promise<ItineraryRow | undefined> {
  const [row] = await prepared(db, 'find_day', (db) =>
    db
      .select()
      .from(itineraries)
      .where(eq(itineraries.id, sql.placeholder('id')))
      .limit(1),
  ).execute({ id });
  return row;
}

export async function findItem(db: Db | Tx, id: string): Promise<ItineraryItemRow | undefined> {
  const [row] = await prepared(db, 'find_item', (db) =>
    db
      .select()
      .from(itineraryItems)
      .where(eq(itineraryItems.id, sql.placeholder('id')))
      .limit(1),
  ).execute({ id });
  return row;
}

/**
 * Takes the given days' rows FOR UPDATE, in id order so two writers locking the same pair can
 * never deadlock. Every write that changes a day's items holds its day's lock.
 */
export async function lockDays(tx: Tx, ids: readonly string[]): Promise<ItineraryRow[]> {
  const unique = [...new Set(ids)];
  return tx
    .select()
    .from(itineraries)
    .where(inArray(itineraries.id, unique))
    .orderBy(asc(itineraries.id))
    .for('update');
}

/** Who created an object, from its insert in the change log (days and items have no creator column). */
export async function creatorOf(tx: Tx, entity: EntityName, id: string): Promise<string | null> {
  const [row] = await tx
    .select({ actorId: changes.actorId })
    .from(changes)
    .where(and(eq(changes.entity, entity), eq(changes.entityId, id), eq(changes.op, 'insert')))
    .limit(1);
  return row?.actorId ?? null;
}

/**
 * The caller's role in a day's trip and a fingerprint of what the day is presented from: its row
 * and its items' rows, by version as in daysFingerprint. Undefined when there is no such day or
 * the caller is not a member of its trip (the caller then takes authorizeDay's path, which says
 * which). See http/response-cache.ts.
 */
export async function dayFingerprint(
  db: Db | Tx,
  props: { dayId: string; userId: string },
): Promise<{ role: Role; fingerprint: string } | undefined> {
  const [row] = await prepared(db, 'day_fingerprint', (db) =>
    db
      .select({
        role: tripMembers.role,
        fingerprint: sql<string>`${itineraries}.xmin::text || ${itineraries}.ctid::text || '|'
          || (select coalesce(string_agg(it.xmin::text || it.ctid::text, ',' order by it.id), '')
              from itinerary_items it where it.itinerary_id = ${itineraries.id})`,
      })
      .from(itineraries)
      .innerJoin(
        tripMembers,
        and(eq(tripMembers.tripId, itineraries.tripId), eq(tripMembers.userId, sql.placeholder('userId'))),
      )
      .where(eq(itineraries.id, sql.placeholder('dayId')))
      .limit(1),
  ).execute({ dayId: props.dayId, userId: props.userId });
  return row;
}

/**
 * The caller's role in the trip and a fingerprint of everything a page of its days (no `date`
 * filter) is presented from, by row versions as in trips' tripFingerprint: the page's days (same
 * order, limit and offset as `days_page`), their items, and, whenever the page is full or empty
 * (when listDays counts), the number of the trip's days. Undefined for a non-member. See
 * http/response-cache.ts. The items are found by `= any(array(…))`, an index probe per day: as
 * `in (select …)` the planner may hash the page and read every item there is (see
 * tripListFingerprint).
 */
export async function daysFingerprint(
  db: Db | Tx,
  props: { tripId: string; userId: string; window: PageWindow },
): Promise<{ role: Role; fingerprint: string } | undefined> {
  const bounds = pageBounds(props.window);
  const [row] = await prepared(db, `days_fingerprint${bounds.suffix}`, (db) => {
    const page = db.$with('page').as(
      db
        .select({
          id: sql<string>`${itineraries.id}`.as('id'),
          version: sql<string>`${itineraries}.xmin::text || ${itineraries}.ctid::text`.as('version'),
        })
        .from(itineraries)
        .where(eq(itineraries.tripId, sql.placeholder('tripId')))
        .orderBy(asc(itineraries.date), asc(itineraries.id))
        .limit(bounds.limit)
        .offset(bounds.offset),
    );
    return db
      .with(page)
      .select({
        role: tripMembers.role,
        fingerprint: sql<string>`(select coalesce(string_agg(page.version, ',' order by page.version), '') from page)
          || '|' || (select coalesce(string_agg(it.xmin::text || it.ctid::text, ',' order by it.id), '')
              from itinerary_items it where it.itinerary_id = any(array(select id from page)))
          || '|' || case when (select count(*) from page) between 1 and ${bounds.limit} - 1 then ''
              else (select count(*) from itineraries d where d.trip_id = ${sql.placeholder('tripId')})::text end`,
      })
      .from(tripMembers)
      .where(
        and(
          eq(tripMembers.tripId, sql.placeholder('tripId')),
          eq(tripMembers.userId, sql.placeholder('userId')),
        ),
      )
      .limit(1);
  }).execute({
    tripId: props.tripId,
    userId: props.userId,
    limit: props.window.limit,
    offset: props.window.offset,
  });
  return row;
}
