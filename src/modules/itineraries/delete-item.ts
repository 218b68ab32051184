import { eq } from 'drizzle-orm';
import { itineraryItems, type ItineraryItemRow } from '../../db/schema/index.ts';
import { preconditionFailed } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizeItem, lockItem } from './access.ts';
import { closeGaps } from './positions.ts';

/** Deletes an item (owner, editor) and closes the gap, so its day's orders stay 0..n-1. */
export async function deleteItem(
  unit: Unit,
  props: {
    userId: string;
    itemId: string;
    expectedVersion: number | null;
    presentCurrent: (item: ItineraryItemRow) => Promise<unknown>;
  },
): Promise<void> {
  await authorizeItem(unit.tx, {
    itemId: props.itemId,
    userId: props.userId,
    action: 'itinerary.write',
    lockTrip: 'key share',
  });
  const { item } = await lockItem(unit.tx, props.itemId);
  if (props.expectedVersion !== null && props.expectedVersion !== item.version)
    throw preconditionFailed(await props.presentCurrent(item));
  await unit.tx.delete(itineraryItems).where(eq(itineraryItems.id, item.id));
  await unit.record({
    tripId: item.tripId,
    entity: 'item',
    entityId: item.id,
    op: 'delete',
    version: item.version + 1,
    actorId: props.userId,
    fields: [],
  });
  await closeGaps(unit, { dayId: item.itineraryId, actorId: props.userId });
}
