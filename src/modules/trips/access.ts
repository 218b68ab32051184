import { and, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/index.ts';
import { prepared } from '../../db/prepared.ts';
import { tripMembers, trips, type Role, type TripRow } from '../../db/schema/index.ts';
import { notFound, permissionDenied } from '../../http/errors.ts';
import { can, type TripAction } from './policy.ts';
import { loadTripForMember, type TripGraph } from './queries.ts';

export async function roleIn(db: Db | Tx, tripId: string, userId: string): Promise<Role | null> {
  const [row] = await db
    .select({ role: tripMembers.role })
    .from(tripMembers)
    .where(and(eq(tripMembers.tripId, tripId), eq(tripMembers.userId, userId)))
    .limit(1);
  return row?.role ?? null;
}

/**
 * The trip and the caller's role, if the caller may take `action`: 404 for non-members (no
 * existence leak), 403 for members whose role is too low. `lock` takes the trip row FOR UPDATE,
 * serialising writers of one trip (reorders, last-owner checks). `lock: 'key share'` only keeps the
 * trip from being deleted until the transaction ends, as a create of a row that references it
 * needs: its foreign-key check takes that lock too, but only at the insert, after a concurrent
 * delete may already have won (a 500 instead of this 404). `lock: 'share'` also keeps its dates
 * still. Authorizing and locking in one statement saves writers a round trip.
 */
/** Row locks a writer may take on the trip as it authorizes (see itineraries/access.ts lockTrip). */
export type TripLock = boolean | 'share' | 'key share';

export async function authorizeTrip(
  db: Db | Tx,
  props: { tripId: string; userId: string; action: TripAction; lock?: TripLock },
): Promise<{ trip: TripRow; role: Role }> {
  const lock = props.lock === true ? 'update' : props.lock || null;
  const name = lock ? `authorize_trip_for_${lock.replace(' ', '_')}` : 'authorize_trip';
  const query = prepared(db, name, (db) => {
    const select = db
      .select({ trip: trips, role: tripMembers.role })
      .from(trips)
      .innerJoin(
        tripMembers,
        and(eq(tripMembers.tripId, trips.id), eq(tripMembers.userId, sql.placeholder('userId'))),
      )
      .where(eq(trips.id, sql.placeholder('tripId')))
      .limit(1);
    return lock ? select.for(lock, { of: trips }) : select;
  });
  const [row] = await query.execute({ tripId: props.tripId, userId: props.userId });
  if (!row) throw notFound('Trip not found.');
  if (!can(row.role, props.action)) throw permissionDenied();
  return row;
}

/**
 * `authorizeTrip` for reading a trip to present it: the trip, the caller's role and the trip's
 * members come back from one statement (loadTripForMember), with the same 404 and policy check.
 */
export async function authorizeTripRead(
  db: Db | Tx,
  props: { tripId: string; userId: string },
): Promise<{ trip: TripRow; role: Role; graph: TripGraph }> {
  const found = await loadTripForMember(db, props.tripId, props.userId);
  if (!found) throw notFound('Trip not found.');
  if (!can(found.role, 'trip.read')) throw permissionDenied();
  return found;
}
