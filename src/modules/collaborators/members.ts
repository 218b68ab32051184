import { and, count, eq } from 'drizzle-orm';
import type { Tx } from '../../db/index.ts';
import { tripMembers, type TripMemberRow } from '../../db/schema/index.ts';
import { AppError, notFound } from '../../http/errors.ts';

/** The member row of `userId` in the trip, or 404. */
export async function findMemberOr404(tx: Tx, tripId: string, userId: string): Promise<TripMemberRow> {
  const [member] = await tx
    .select()
    .from(tripMembers)
    .where(and(eq(tripMembers.tripId, tripId), eq(tripMembers.userId, userId)))
    .limit(1);
  if (!member) throw notFound('Collaborator not found.');
  return member;
}

/**
 * Refuses to take away the trip's only owner. Callers hold the trip row lock (authorizeTrip with
 * `lock`), so two concurrent demotions or removals cannot each see the other owner and leave none.
 */
export async function assertNotLastOwner(tx: Tx, member: TripMemberRow, field?: string): Promise<void> {
  if (member.role !== 'owner') return;
  const [row] = await tx
    .select({ owners: count() })
    .from(tripMembers)
    .where(and(eq(tripMembers.tripId, member.tripId), eq(tripMembers.role, 'owner')));
  if (Number(row?.owners ?? 0) > 1) return;
  const message = 'A trip must keep at least one owner: make someone else owner first.';
  throw new AppError(400, 'last_owner', message, field ? { [field]: [message] } : {});
}
