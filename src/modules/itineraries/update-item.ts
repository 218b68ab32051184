import { eq, sql } from 'drizzle-orm';
import { itineraryItems, type ItineraryItemRow } from '../../db/schema/index.ts';
import { fieldError, preconditionFailed } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizeItem, lockItem, lockTrip } from './access.ts';
import { closeGaps } from './positions.ts';
import { countItems, findDay } from './queries.ts';
import { itemTimes, itemTitle } from './rules.ts';
import type { PatchItemBody } from './schemas.ts';

export interface UpdateItemProps {
  userId: string;
  itemId: string;
  changes: PatchItemBody;
  expectedVersion: number | null;
  presentCurrent: (item: ItineraryItemRow) => Promise<unknown>;
}

const wrongDay = () => fieldError('itinerary', "Choose an itinerary day of this item's trip.");

/**
 * Edits an item (owner, editor). Setting `itinerary` to another day of the same trip moves the
 * item to the end of that day and closes the gap it leaves; both days are locked in id order.
 */
export async function updateItem(unit: Unit, props: UpdateItemProps): Promise<ItineraryItemRow> {
  const { changes, userId } = props;
  const { item: seen } = await authorizeItem(unit.tx, {
    itemId: props.itemId,
    userId,
    action: 'itinerary.write',
  });
  let target: string | undefined;
  if (changes.itinerary !== undefined && changes.itinerary !== seen.itineraryId) {
    // Days never change trip, so this check holds after the locks below too.
    const day = await findDay(unit.tx, changes.itinerary);
    if (!day || day.tripId !== seen.tripId) throw wrongDay();
    target = day.id;
  }
  await lockTrip(unit.tx, seen.tripId, 'key share');
  const { item, days } = await lockItem(unit.tx, props.itemId, target);
  if (props.expectedVersion !== null && props.expectedVersion !== item.version)
    throw preconditionFailed(await props.presentCurrent(item));

  const set: Partial<typeof itineraryItems.$inferInsert> = {};
  const fields: string[] = [];
  const change = <K extends keyof typeof set>(field: string, column: K, value: (typeof set)[K]) => {
    set[column] = value;
    fields.push(field);
  };
  if (changes.title !== undefined && itemTitle(changes.title) !== item.title)
    change('title', 'title', itemTitle(changes.title));
  if (changes.description !== undefined && changes.description !== item.description)
    change('description', 'description', changes.description);
  if (changes.location !== undefined && changes.location !== item.location)
    change('location', 'location', changes.location);
  const { startTime, endTime } = itemTimes(changes, item);
  if (startTime !== item.startTime) change('start_time', 'startTime', startTime);
  if (endTime !== item.endTime) change('end_time', 'endTime', endTime);
  const moving = target !== undefined && target !== item.itineraryId;
  if (moving) {
    if (!days.has(target!)) throw wrongDay(); // deleted while we waited for the lock
    change('itinerary', 'itineraryId', target!);
    change('order', 'position', await countItems(unit.tx, target!));
  }
  if (fields.length === 0) return item;

  const [updated] = await unit.tx
    .update(itineraryItems)
    .set({ ...set, version: sql`${itineraryItems.version} + 1`, updatedAt: sql`now()` })
    .where(eq(itineraryItems.id, item.id))
    .returning();
  await unit.record({
    tripId: item.tripId,
    entity: 'item',
    entityId: item.id,
    op: 'update',
    version: updated!.version,
    actorId: userId,
    fields,
  });
  if (moving) await closeGaps(unit, { dayId: item.itineraryId, actorId: userId });
  return updated!;
}
