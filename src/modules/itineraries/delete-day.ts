import { eq } from 'drizzle-orm';
import { itineraries, type ItineraryRow } from '../../db/schema/index.ts';
import { preconditionFailed } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizeDay } from './access.ts';
import { itemsOfDay } from './queries.ts';

/**
 * Deletes a day and its items (owner, editor). The items go by cascade, but each still gets a
 * delete change so a sync client receives a tombstone for it, not only for the day.
 */
export async function deleteDay(
  unit: Unit,
  props: {
    userId: string;
    dayId: string;
    expectedVersion: number | null;
    presentCurrent: (day: ItineraryRow) => Promise<unknown>;
  },
): Promise<void> {
  const { day } = await authorizeDay(unit.tx, {
    dayId: props.dayId,
    userId: props.userId,
    action: 'itinerary.write',
    lockTrip: 'share',
    lockDay: true,
  });
  if (props.expectedVersion !== null && props.expectedVersion !== day.version)
    throw preconditionFailed(await props.presentCurrent(day));
  const items = await itemsOfDay(unit.tx, day.id);
  await unit.tx.delete(itineraries).where(eq(itineraries.id, day.id));
  for (const item of items) {
    await unit.record({
      tripId: day.tripId,
      entity: 'item',
      entityId: item.id,
      op: 'delete',
      version: item.version + 1,
      actorId: props.userId,
      fields: [],
    });
  }
  await unit.record({
    tripId: day.tripId,
    entity: 'itinerary',
    entityId: day.id,
    op: 'delete',
    version: day.version + 1,
    actorId: props.userId,
    fields: [],
  });
}
