import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { prepared } from '../../db/prepared.ts';
import { itineraryItems, type ItineraryItemRow } from '../../db/schema/index.ts';
import { conflict } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizeDay } from './access.ts';
import { creatorOf, findItem } from './queries.ts';
import { itemTimes, itemTitle } from './rules.ts';
import type { CreateItemBody } from './schemas.ts';

/**
 * Appends an item to a day (owner, editor). Its order is the day's item count, read under the
 * day's row lock, so concurrent creates queue up and never share an order. A client-supplied id
 * that already names this user's item in this trip returns it (`created: false`).
 */
export async function createItem(
  unit: Unit,
  props: { userId: string; dayId: string; input: CreateItemBody },
): Promise<{ item: ItineraryItemRow; created: boolean }> {
  const { input, userId } = props;
  const { day } = await authorizeDay(unit.tx, {
    dayId: props.dayId,
    userId,
    action: 'itinerary.write',
    lockTrip: 'key share',
    lockDay: true,
  });
  const title = itemTitle(input.title);
  const { startTime, endTime } = itemTimes(input);
  // The position is counted by the insert itself: a statement after the lock, so it sees every
  // item committed before the lock was granted (one round trip fewer than counting first).
  // Prepared (built once per process): the id is made here when the client sent none, a random
  // uuid as the column's default would be, so the statement text never varies.
  const [item] = await prepared(unit.tx, 'create_item', (db) =>
    db
      .insert(itineraryItems)
      .values({
        id: sql.placeholder('id'),
        itineraryId: sql.placeholder('dayId'),
        tripId: sql.placeholder('tripId'),
        title: sql.placeholder('title'),
        description: sql.placeholder('description'),
        startTime: sql.placeholder('startTime'),
        endTime: sql.placeholder('endTime'),
        location: sql.placeholder('location'),
        position: sql<number>`(select count(*)::integer from ${itineraryItems} where ${itineraryItems.itineraryId} = ${sql.placeholder('dayId')})`,
      })
      .onConflictDoNothing({ target: itineraryItems.id })
      .returning(),
  ).execute({
    id: input.id ?? randomUUID(),
    dayId: day.id,
    tripId: day.tripId,
    title,
    description: input.description ?? '',
    startTime,
    endTime,
    location: input.location ?? '',
  });
  if (!item) {
    const existing = await findItem(unit.tx, input.id!);
    if (
      existing &&
      existing.tripId === day.tripId &&
      (await creatorOf(unit.tx, 'item', existing.id)) === userId
    )
      return { item: existing, created: false };
    throw conflict('An object with this id already exists.', { id: ['This id is already in use.'] });
  }
  await unit.record({
    tripId: item.tripId,
    entity: 'item',
    entityId: item.id,
    op: 'insert',
    version: item.version,
    actorId: userId,
    fields: ['itinerary', 'title', 'description', 'start_time', 'end_time', 'location', 'order'],
  });
  return { item, created: true };
}
