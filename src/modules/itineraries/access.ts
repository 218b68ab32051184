import { and, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/index.ts';
import { prepared } from '../../db/prepared.ts';
import {
  itineraries,
  tripMembers,
  trips,
  type ItineraryItemRow,
  type ItineraryRow,
  type Role,
  type TripRow,
} from '../../db/schema/index.ts';
import { notFound, permissionDenied } from '../../http/errors.ts';
import { authorizeTrip } from '../trips/access.ts';
import { can } from '../trips/policy.ts';
import { findItem, lockDays } from './queries.ts';

type Action = 'itinerary.read' | 'itinerary.write';
type TripStrength = 'share' | 'key share';

/**
 * A day and the caller's role in its trip: 404 for a missing day or a non-member, 403 for a low role.
 * One statement reads the day, its trip and the caller's membership; `lockTrip` takes that lock on
 * the trip row in it (see lockTrip below). The membership is an outer join, so a missing day and a
 * stranger's request stay told apart (both 404, with their own messages, as before).
 * `lockDay` (with `lockTrip`) also locks the day FOR UPDATE in the same statement, as lockDay below
 * would in a round trip of its own; the returned day is then its current row under that lock.
 * PostgreSQL takes a statement's row locks in the order of its locking clauses, so the trip's
 * comes first, as everywhere else.
 */
export async function authorizeDay(
  db: Db | Tx,
  props: { dayId: string; userId: string; action: Action; lockTrip?: TripStrength; lockDay?: boolean },
): Promise<{ day: ItineraryRow; trip: TripRow; role: Role }> {
  const lock = props.lockTrip ?? null;
  const lockDay = lock !== null && props.lockDay === true;
  const [row] = await prepared(
    db,
    lock ? `authorize_day_for_${lock.replace(' ', '_')}${lockDay ? '_and_day' : ''}` : 'authorize_day',
    (db) => {
      const select = db
        .select({ day: itineraries, trip: trips, role: tripMembers.role })
        .from(itineraries)
        .innerJoin(trips, eq(trips.id, itineraries.tripId))
        .leftJoin(
          tripMembers,
          and(eq(tripMembers.tripId, trips.id), eq(tripMembers.userId, sql.placeholder('userId'))),
        )
        .where(eq(itineraries.id, sql.placeholder('dayId')))
        .limit(1);
      if (!lock) return select;
      // Drizzle renders one locking clause, its strength as written: the trip's clause goes in
      // as the strength of the day's.
      return lockDay
        ? select.for(`${lock} of "trips" for update` as 'update', { of: itineraries })
        : select.for(lock, { of: trips });
    },
  ).execute({ dayId: props.dayId, userId: props.userId });
  if (!row) throw notFound('Itinerary not found.');
  if (!row.role) throw notFound('Trip not found.');
  if (!can(row.role, props.action)) throw permissionDenied();
  return { day: row.day, trip: row.trip, role: row.role };
}

/** An item and the caller's role in its trip, with the same 404/403 rules (and `lockTrip`) as days. */
export async function authorizeItem(
  db: Db | Tx,
  props: { itemId: string; userId: string; action: Action; lockTrip?: TripStrength },
): Promise<{ item: ItineraryItemRow; trip: TripRow; role: Role }> {
  const item = await findItem(db, props.itemId);
  if (!item) throw notFound('Itinerary item not found.');
  const { trip, role } = await authorizeTrip(db, {
    tripId: item.tripId,
    userId: props.userId,
    action: props.action,
    lock: props.lockTrip,
  });
  return { item, trip, role };
}

/**
 * Locks the trip row before any day lock, so every writer takes locks in one order (trip → days)
 * and none can deadlock with a trip update or delete. Day writes take SHARE: it excludes trip
 * updates (their dates check must see our day) but not other day writers. Item writes take
 * KEY SHARE, the lock their foreign key check takes anyway, only earlier. Returns the trip as it
 * is now, under the lock.
 */
export async function lockTrip(tx: Tx, tripId: string, strength: TripStrength): Promise<TripRow> {
  const [trip] = await tx.select().from(trips).where(eq(trips.id, tripId)).for(strength);
  if (!trip) throw notFound('Trip not found.');
  return trip;
}

/** Locks one day FOR UPDATE; 404 if it is gone. */
export async function lockDay(tx: Tx, dayId: string): Promise<ItineraryRow> {
  const [day] = await prepared(tx, 'lock_day', (db) =>
    db
      .select()
      .from(itineraries)
      .where(eq(itineraries.id, sql.placeholder('id')))
      .for('update'),
  ).execute({ id: dayId });
  if (!day) throw notFound('Itinerary not found.');
  return day;
}

/**
 * Locks an item's day (and `alsoDayId`, a move target, in the same id-ordered statement) and
 * re-reads the item under that lock. If the item moved to another day in between, try again.
 */
export async function lockItem(
  tx: Tx,
  itemId: string,
  alsoDayId?: string,
): Promise<{ item: ItineraryItemRow; days: Map<string, ItineraryRow> }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const seen = await findItem(tx, itemId);
    if (!seen) break;
    const locked = await lockDays(tx, alsoDayId ? [seen.itineraryId, alsoDayId] : [seen.itineraryId]);
    const days = new Map(locked.map((d) => [d.id, d]));
    const item = await findItem(tx, itemId);
    if (!item) break;
    if (days.has(item.itineraryId)) return { item, days };
  }
  throw notFound('Itinerary item not found.');
}
