import { and, eq } from 'drizzle-orm';
import type { Db, Tx } from '../../db/index.ts';
import { tripMembers, trips, type Role, type TripRow } from '../../db/schema/index.ts';
import { notFound, permissionDenied } from '../../http/errors.ts';
import { can, type TripAction } from './policy.ts';

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
 * delete may already have won (a 500 instead of this 404).
 */
export async function authorizeTrip(
  db: Db | Tx,
  props: { tripId: string; userId: string; action: TripAction; lock?: boolean | 'key share' },
): Promise<{ trip: TripRow; role: Role }> {
  const query = db
    .select({ trip: trips, role: tripMembers.role })
    .from(trips)
    .innerJoin(tripMembers, and(eq(tripMembers.tripId, trips.id), eq(tripMembers.userId, props.userId)))
    .where(eq(trips.id, props.tripId))
    .limit(1);
  const [row] = props.lock
    ? await query.for(props.lock === true ? 'update' : props.lock, { of: trips })
    : await query;
  if (!row) throw notFound('Trip not found.');
  if (!can(row.role, props.action)) throw permissionDenied();
  return row;
}
