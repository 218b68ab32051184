import { itineraries, type ItineraryRow } from '../../db/schema/index.ts';
import { conflict } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizeTrip } from '../trips/access.ts';
import { lockTrip } from './access.ts';
import { creatorOf, findDay } from './queries.ts';
import { dayDateIn, duplicateDay } from './rules.ts';
import type { CreateDayBody } from './schemas.ts';

/**
 * Adds a day to a trip (owner, editor). One day per date: the insert skips on any unique conflict
 * (so a concurrent duplicate waits for the first and then becomes a 400, never a 500). A
 * client-supplied id that already names this user's day in this trip returns it (`created: false`).
 */
export async function createDay(
  unit: Unit,
  props: { userId: string; input: CreateDayBody },
): Promise<{ day: ItineraryRow; created: boolean }> {
  const { input, userId } = props;
  await authorizeTrip(unit.tx, { tripId: input.trip, userId, action: 'itinerary.write' });
  const trip = await lockTrip(unit.tx, input.trip, 'share');
  const date = dayDateIn(trip, input.date);
  const [day] = await unit.tx
    .insert(itineraries)
    .values({
      ...(input.id ? { id: input.id } : {}),
      tripId: trip.id,
      date,
      title: input.title?.trim() ?? '',
      notes: input.notes ?? '',
    })
    .onConflictDoNothing()
    .returning();
  if (!day) {
    const existing = input.id ? await findDay(unit.tx, input.id) : undefined;
    if (!existing) throw duplicateDay(date);
    if (existing.tripId === trip.id && (await creatorOf(unit.tx, 'itinerary', existing.id)) === userId)
      return { day: existing, created: false };
    throw conflict('An object with this id already exists.', { id: ['This id is already in use.'] });
  }
  await unit.record({
    tripId: trip.id,
    entity: 'itinerary',
    entityId: day.id,
    op: 'insert',
    version: day.version,
    actorId: userId,
    fields: ['trip', 'date', 'title', 'notes'],
  });
  return { day, created: true };
}
