import { eq } from 'drizzle-orm';
import { tripMembers, type TripMemberRow } from '../../db/schema/index.ts';
import { preconditionFailed } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizeTrip } from '../trips/access.ts';
import { assertNotLastOwner, findMemberOr404 } from './members.ts';

/**
 * Removes a collaborator (owner), or lets any member leave (userId = the caller). The only owner
 * can neither leave nor be removed: the trip would have nobody to manage it.
 */
export async function removeMember(
  unit: Unit,
  props: {
    actorId: string;
    tripId: string;
    userId: string;
    expectedVersion: number | null;
    presentCurrent: (member: TripMemberRow) => Promise<unknown>;
  },
): Promise<void> {
  const leaving = props.actorId === props.userId;
  const { trip } = await authorizeTrip(unit.tx, {
    tripId: props.tripId,
    userId: props.actorId,
    // Leaving needs only membership; removing someone else needs the owner's action.
    action: leaving ? 'trip.read' : 'member.remove',
    lock: true,
  });
  const member = await findMemberOr404(unit.tx, trip.id, props.userId);
  if (props.expectedVersion !== null && props.expectedVersion !== member.version)
    throw preconditionFailed(await props.presentCurrent(member));
  await assertNotLastOwner(unit.tx, member);

  await unit.tx.delete(tripMembers).where(eq(tripMembers.id, member.id));
  await unit.record({
    tripId: trip.id,
    entity: 'collaborator',
    entityId: member.id,
    op: 'delete',
    version: member.version + 1,
    actorId: props.actorId,
    fields: [],
  });
}
