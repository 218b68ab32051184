import { inArray, sql } from 'drizzle-orm';
import { itineraryItems, type ItineraryItemRow } from '../../db/schema/index.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { itemsOfDay } from './queries.ts';

/**
 * Gives `ordered` (all the items of one day, whose lock the caller holds) positions 0..n-1 in that
 * order, in one UPDATE for the items whose position changes. Each moved item gets a new version and
 * an 'item' update change with fields ['order'], so sync clients and live views follow.
 * Returns the day's items as they are now, in order.
 */
export async function applyOrder(
  unit: Unit,
  props: { ordered: readonly ItineraryItemRow[]; actorId: string },
): Promise<ItineraryItemRow[]> {
  const moved = props.ordered.flatMap((item, index) =>
    item.position === index ? [] : [{ id: item.id, index }],
  );
  if (moved.length === 0) return [...props.ordered];
  const cases = sql.join(
    moved.map((m) => sql`when ${itineraryItems.id} = ${m.id}::uuid then ${m.index}::integer`),
    sql` `,
  );
  const updated = await unit.tx
    .update(itineraryItems)
    .set({
      position: sql`case ${cases} else ${itineraryItems.position} end`,
      version: sql`${itineraryItems.version} + 1`,
      updatedAt: sql`now()`,
    })
    .where(
      inArray(
        itineraryItems.id,
        moved.map((m) => m.id),
      ),
    )
    .returning();
  const byId = new Map(updated.map((row) => [row.id, row]));
  // Recorded in the day's new order, so the log reads like the list the client sent.
  for (const item of props.ordered) {
    const row = byId.get(item.id);
    if (!row) continue;
    await unit.record({
      tripId: row.tripId,
      entity: 'item',
      entityId: row.id,
      op: 'update',
      version: row.version,
      actorId: props.actorId,
      fields: ['order'],
    });
  }
  return props.ordered.map((item) => byId.get(item.id) ?? item);
}

/** Closes the gaps a removed item left in a day (caller holds the day's lock): orders end 0..n-1. */
export async function closeGaps(
  unit: Unit,
  props: { dayId: string; actorId: string },
): Promise<ItineraryItemRow[]> {
  return applyOrder(unit, { ordered: await itemsOfDay(unit.tx, props.dayId), actorId: props.actorId });
}
