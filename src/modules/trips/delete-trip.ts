import { eq } from 'drizzle-orm';
import { trips, type TripRow } from '../../db/schema/index.ts';
import { preconditionFailed } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizeTrip } from './access.ts';

/** Deletes a trip and everything under it (owner only); the change log keeps a tombstone. */
export async function deleteTrip(
  unit: Unit,
  props: {
    userId: string;
    tripId: string;
    expectedVersion: number | null;
    presentCurrent: (trip: TripRow) => Promise<unknown>;
  },
): Promise<void> {
  const { trip } = await authorizeTrip(unit.tx, {
    tripId: props.tripId,
    userId: props.userId,
    action: 'trip.delete',
    lock: true,
  });
  if (props.expectedVersion !== null && props.expectedVersion !== trip.version)
    throw preconditionFailed(await props.presentCurrent(trip));
  await unit.tx.delete(trips).where(eq(trips.id, trip.id));
  await unit.record({
    tripId: trip.id,
    entity: 'trip',
    entityId: trip.id,
    op: 'delete',
    version: trip.version + 1,
    actorId: props.userId,
    fields: [],
  });
}
