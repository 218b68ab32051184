import { eq } from 'drizzle-orm';
import { chatRooms, tripMembers, trips, type TripRow } from '../../db/schema/index.ts';
import { conflict, fieldError } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { normaliseTripDates } from './dates.ts';
import type { CreateTripBody } from './schemas.ts';

/**
 * Creates a trip with its creator as owner and its chat room, in the caller's transaction.
 * A client-supplied id that already names this user's trip returns that trip (`created: false`):
 * an offline client retrying its create must not get a duplicate or an error.
 */
export async function createTrip(
  unit: Unit,
  props: { userId: string; input: CreateTripBody },
): Promise<{ trip: TripRow; created: boolean }> {
  const { input, userId } = props;
  const title = input.title.trim();
  if (title === '') throw fieldError('title', 'This field may not be blank.');
  const { startDate, endDate } = normaliseTripDates(input);
  const values = {
    ...(input.id ? { id: input.id } : {}),
    title,
    description: input.description ?? '',
    creatorId: userId,
    startDate,
    endDate,
    status: input.status ?? 'draft',
    visibility: input.visibility ?? 'private',
  };
  const [trip] = await unit.tx
    .insert(trips)
    .values(values)
    .onConflictDoNothing({ target: trips.id })
    .returning();
  if (!trip) {
    const [existing] = await unit.tx.select().from(trips).where(eq(trips.id, input.id!));
    if (existing && existing.creatorId === userId) return { trip: existing, created: false };
    throw conflict('An object with this id already exists.', { id: ['This id is already in use.'] });
  }
  const [owner] = await unit.tx
    .insert(tripMembers)
    .values({ tripId: trip.id, userId, role: 'owner' })
    .returning();
  await unit.tx.insert(chatRooms).values({ tripId: trip.id });
  await unit.record({
    tripId: trip.id,
    entity: 'trip',
    entityId: trip.id,
    op: 'insert',
    version: trip.version,
    actorId: userId,
    fields: ['title', 'description', 'start_date', 'end_date', 'status', 'visibility'],
  });
  await unit.record({
    tripId: trip.id,
    entity: 'collaborator',
    entityId: owner!.id,
    op: 'insert',
    version: 1,
    actorId: userId,
    fields: ['role'],
  });
  return { trip, created: true };
}
