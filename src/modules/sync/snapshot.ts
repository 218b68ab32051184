import { and, asc, gt, inArray, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Tx } from '../../db/index.ts';
import { itineraries, itineraryItems, polls, tripMembers, trips } from '../../db/schema/index.ts';
import { PHASES, type Phase, type SnapshotState } from './cursor.ts';

/** Per phase: the table, its id, and the column naming its trip. */
const SOURCES: Record<Phase, { table: PgTable; id: PgColumn; trip: PgColumn }> = {
  trip: { table: trips, id: trips.id, trip: trips.id },
  collaborator: { table: tripMembers, id: tripMembers.id, trip: tripMembers.tripId },
  itinerary: { table: itineraries, id: itineraries.id, trip: itineraries.tripId },
  item: { table: itineraryItems, id: itineraryItems.id, trip: itineraryItems.tripId },
  poll: { table: polls, id: polls.id, trip: polls.tripId },
};

/**
 * The next objects of a snapshot of `state.pending` (already narrowed to the caller's current trips),
 * at most `limit`, phase by phase in id order (keyset paging: no offsets, each page costs the same).
 * Returns the refs to present and where the snapshot stands next (null when it is complete).
 * At most one id query per phase.
 */
export async function readSnapshot(
  tx: Tx,
  state: SnapshotState,
  limit: number,
): Promise<{ refs: { entity: Phase; id: string }[]; next: SnapshotState | null }> {
  const refs: { entity: Phase; id: string }[] = [];
  if (state.pending.length === 0) return { refs, next: null };
  let phase: Phase | undefined = state.phase;
  let after = state.after;
  while (phase) {
    const room = limit - refs.length;
    if (room <= 0) return { refs, next: { pending: state.pending, phase, after } };
    const source = SOURCES[phase];
    const conditions: SQL[] = [inArray(source.trip, state.pending)];
    if (after) conditions.push(gt(source.id, after));
    const rows = await tx
      .select({ id: source.id })
      .from(source.table)
      .where(and(...conditions))
      .orderBy(asc(source.id))
      .limit(room);
    for (const row of rows) refs.push({ entity: phase, id: row.id as string });
    if (rows.length === room) {
      // Possibly more in this phase: continue after the last id next time.
      return { refs, next: { pending: state.pending, phase, after: rows.at(-1)!.id as string } };
    }
    phase = PHASES[PHASES.indexOf(phase) + 1];
    after = null;
  }
  return { refs, next: null };
}
