import { eq, sql } from 'drizzle-orm';
import { itineraries, type ItineraryRow } from '../../db/schema/index.ts';
import { fieldError, preconditionFailed } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizeDay, lockDay, lockTrip } from './access.ts';
import { asDuplicateDay, dayDateIn } from './rules.ts';
import type { PatchDayBody } from './schemas.ts';

export interface UpdateDayProps {
  userId: string;
  dayId: string;
  changes: PatchDayBody;
  expectedVersion: number | null;
  /** The current object for a 412, so the client can merge without another request. */
  presentCurrent: (day: ItineraryRow) => Promise<unknown>;
}

/** Edits a day (owner, editor); a new date is re-checked against the trip's dates and other days. */
export async function updateDay(unit: Unit, props: UpdateDayProps): Promise<ItineraryRow> {
  const { day: seen } = await authorizeDay(unit.tx, {
    dayId: props.dayId,
    userId: props.userId,
    action: 'itinerary.write',
  });
  // SHARE on the trip keeps its dates still while we check ours against them.
  const trip = await lockTrip(unit.tx, seen.tripId, 'share');
  const day = await lockDay(unit.tx, props.dayId);
  if (props.expectedVersion !== null && props.expectedVersion !== day.version)
    throw preconditionFailed(await props.presentCurrent(day));

  const { changes } = props;
  if (changes.trip !== undefined && changes.trip !== day.tripId)
    throw fieldError('trip', 'An itinerary cannot move to another trip.');
  const set: Partial<typeof itineraries.$inferInsert> = {};
  const fields: string[] = [];
  if (changes.date !== undefined) {
    const date = dayDateIn(trip, changes.date);
    if (date !== day.date) {
      set.date = date;
      fields.push('date');
    }
  }
  if (changes.title !== undefined && changes.title.trim() !== day.title) {
    set.title = changes.title.trim();
    fields.push('title');
  }
  if (changes.notes !== undefined && changes.notes !== day.notes) {
    set.notes = changes.notes;
    fields.push('notes');
  }
  if (fields.length === 0) return day;

  const [updated] = await unit.tx
    .update(itineraries)
    .set({ ...set, version: sql`${itineraries.version} + 1`, updatedAt: sql`now()` })
    .where(eq(itineraries.id, day.id))
    .returning()
    .catch((error: unknown) => {
      throw asDuplicateDay(error, set.date ?? day.date);
    });
  await unit.record({
    tripId: day.tripId,
    entity: 'itinerary',
    entityId: day.id,
    op: 'update',
    version: updated!.version,
    actorId: props.userId,
    fields,
  });
  return updated!;
}
