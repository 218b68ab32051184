import { eq, sql } from 'drizzle-orm';
import { trips, type TripRow } from '../../db/schema/index.ts';
import { fieldError, preconditionFailed } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizeTrip } from './access.ts';
import { assertDaysInside, normaliseTripDates } from './dates.ts';
import type { PatchTripBody } from './schemas.ts';

export interface UpdateTripProps {
  userId: string;
  tripId: string;
  changes: PatchTripBody;
  expectedVersion: number | null;
  /** The current object for a 412, so the client can merge without another request. */
  presentCurrent: (trip: TripRow) => Promise<unknown>;
}

const COLUMNS = {
  title: 'title',
  description: 'description',
  status: 'status',
  visibility: 'visibility',
} as const;

/** Edits a trip (owner, editor); version check and write happen under the trip's row lock. */
export async function updateTrip(unit: Unit, props: UpdateTripProps): Promise<TripRow> {
  const { trip } = await authorizeTrip(unit.tx, {
    tripId: props.tripId,
    userId: props.userId,
    action: 'trip.update',
    lock: true,
  });
  if (props.expectedVersion !== null && props.expectedVersion !== trip.version)
    throw preconditionFailed(await props.presentCurrent(trip));

  const set: Partial<typeof trips.$inferInsert> = {};
  const fields: string[] = [];
  for (const [field, column] of Object.entries(COLUMNS) as [
    keyof typeof COLUMNS,
    (typeof COLUMNS)[keyof typeof COLUMNS],
  ][]) {
    const value = props.changes[field];
    if (value === undefined) continue;
    const next = field === 'title' ? String(value).trim() : value;
    if (field === 'title' && next === '') throw fieldError('title', 'This field may not be blank.');
    if (next !== trip[column]) {
      (set as Record<string, unknown>)[column] = next;
      fields.push(field);
    }
  }
  const { startDate, endDate } = normaliseTripDates(props.changes, trip);
  if (startDate !== trip.startDate) fields.push('start_date');
  if (endDate !== trip.endDate) fields.push('end_date');
  if (startDate !== trip.startDate || endDate !== trip.endDate) {
    await assertDaysInside(unit.tx, trip.id, startDate, endDate);
    Object.assign(set, { startDate, endDate });
  }
  if (fields.length === 0) return trip;

  const [updated] = await unit.tx
    .update(trips)
    .set({ ...set, version: sql`${trips.version} + 1`, updatedAt: sql`now()` })
    .where(eq(trips.id, trip.id))
    .returning();
  await unit.record({
    tripId: trip.id,
    entity: 'trip',
    entityId: trip.id,
    op: 'update',
    version: updated!.version,
    actorId: props.userId,
    fields,
  });
  return updated!;
}
