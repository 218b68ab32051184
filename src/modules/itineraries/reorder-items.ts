import type { ItineraryItemRow } from '../../db/schema/index.ts';
import { validationError } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizeDay } from './access.ts';
import { applyOrder } from './positions.ts';
import { itemsOfDay } from './queries.ts';

/** Problems with a proposed order: every item of the day exactly once, nothing else. */
function orderProblems(itemIds: readonly string[], items: readonly ItineraryItemRow[]): string[] {
  const known = new Set(items.map((i) => i.id));
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const id of itemIds) (seen.has(id) ? duplicates : seen).add(id);
  const unknown = [...seen].filter((id) => !known.has(id));
  const missing = items.filter((i) => !seen.has(i.id)).map((i) => i.id);
  const problems: string[] = [];
  if (missing.length)
    problems.push(`Missing ids (every item of the day must be listed): ${missing.join(', ')}.`);
  if (unknown.length) problems.push(`Unknown ids (not items of this day): ${unknown.join(', ')}.`);
  if (duplicates.size) problems.push(`Duplicate ids (list each item once): ${[...duplicates].join(', ')}.`);
  return problems;
}

/**
 * Puts a day's items in the given order (owner, editor), atomically under the day's lock: the
 * list must name every item of the day exactly once, and orders end 0..n-1.
 */
export async function reorderItems(
  unit: Unit,
  props: { userId: string; dayId: string; itemIds: readonly string[] },
): Promise<ItineraryItemRow[]> {
  const { day } = await authorizeDay(unit.tx, {
    dayId: props.dayId,
    userId: props.userId,
    action: 'itinerary.write',
    lockTrip: 'key share',
    lockDay: true,
  });
  const items = await itemsOfDay(unit.tx, day.id);
  const problems = orderProblems(props.itemIds, items);
  if (problems.length) throw validationError({ item_ids: problems });
  const byId = new Map(items.map((i) => [i.id, i]));
  return applyOrder(unit, { ordered: props.itemIds.map((id) => byId.get(id)!), actorId: props.userId });
}
